import type { PartitionBatch } from '@tokumei/bus';
import type { Worker } from './worker.js';

/**
 * Records per ClickHouse insert for imported batches. Every insert costs a new part in each table and materialized
 * view (tens of milliseconds in chDB, whatever its size), so a backfill of millions of lines wants far larger chunks
 * than live traffic, where TOKUMEI_BATCH_SIZE keeps latency low. Give the Worker that serves handleDirect this size.
 */
export const IMPORT_CHUNK_RECORDS = 20_000;

/**
 * How long an import's batch waits for a failing ClickHouse before the import is told: it can resume from its
 * checkpoint, whereas a one-shot import waiting forever on a broken store would only look hung.
 */
export const IMPORT_GIVE_UP_MS = 60_000;

/**
 * Hands records straight to the worker as one partition batch of `stream`, without a bus: for `tokumei import`,
 * whose records are numbered by their place in the log file. The worker records their offset ranges like a Kafka
 * partition's, so sending the same records again (an import resumed after a crash) stores nothing twice.
 * Resolves with the offset after the last record stored; less than `first + values.length` only when the worker
 * held back part of a range recorded by an earlier attempt, which the caller must send again with what follows.
 */
export async function handleDirect(worker: Worker, stream: string, first: bigint, values: readonly Buffer[]): Promise<bigint> {
  let committed = first;
  const batch: PartitionBatch = {
    topic: stream,
    partition: 0,
    messages: values.map((value, i) => ({ offset: first + BigInt(i), value })),
    commit: (next) => {
      committed = next;
      return Promise.resolve();
    },
    heartbeat: () => Promise.resolve(),
  };
  await worker.handle(batch, { giveUpAfterMs: IMPORT_GIVE_UP_MS });
  return committed;
}
