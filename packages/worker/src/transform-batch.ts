import type { EventRow, PropsCount, Pseudonymizer } from '@tokumei/privacy';
import { decodeRawRecord } from '@tokumei/schema';
import type { BotCount } from './sink.js';

/** What a batch's records come to besides their rows: bots, counters and the records that could not be decoded. */
export interface BatchCounts {
  /** Rows handed on (`ok` records). */
  readonly rows: number;
  readonly bots: BotCount[];
  /** Records per worker result label (`ok`, `dlq`, `drop_<reason>`…), for `tokumei_worker_records_total`. */
  readonly results: Record<string, number>;
  readonly props: PropsCount;
  /** Index in the batch and reason of each record that could not be decoded: logged by offset, never by payload. */
  readonly unreadable: { readonly index: number; readonly reason: string }[];
}

/**
 * What a batch of raw records becomes in a thread: the event rows already encoded for the insert (JSONEachRow, one
 * row per line, bytes that can be transferred between threads without a copy), bots counted per site and day, and
 * the counters the worker reports. Never a raw field: the records' addresses and agents stay where they were
 * pseudonymized.
 */
export interface TransformOutput extends BatchCounts {
  /** JSONEachRow of the `ok` rows, in record order. */
  readonly events: Uint8Array;
}

/** Lets the event loop's other callbacks (ingest, timers) run. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Decode, privacy engine and bot counting for a batch: the one loop of the worker's in-line path and of a
 * TransformPool thread. Each `ok` row goes to `onRow` in record order. `sliceMs`: yield to the event loop after
 * pseudonymizing this long (ingest shares the loop in embedded mode); a thread has nothing to yield to.
 */
export async function pseudonymizeBatch(
  pseudonymizer: Pseudonymizer, values: readonly (Uint8Array | string)[], onRow: (row: EventRow) => void,
  sliceMs = Number.POSITIVE_INFINITY,
): Promise<BatchCounts> {
  let rows = 0;
  // Bots are counted per site and day, never stored as events.
  const bots = new Map<string, BotCount & { bots: number }>();
  const results: Record<string, number> = {};
  const props = { kept: 0, dropped: 0, replaced: 0 };
  const unreadable: { index: number; reason: string }[] = [];
  let sliceStart = performance.now();
  for (let index = 0; index < values.length; index += 1) {
    if (performance.now() - sliceStart > sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
    const decoded = decodeRawRecord(values[index] ?? '');
    if (!decoded.ok) {
      unreadable.push({ index, reason: decoded.reason });
      results.dlq = (results.dlq ?? 0) + 1;
      continue;
    }
    const result = await pseudonymizer.process(decoded.record);
    if (result.kind === 'ok') {
      onRow(result.row);
      rows += 1;
      if (result.props !== undefined) {
        props.kept += result.props.kept;
        props.dropped += result.props.dropped;
        props.replaced += result.props.replaced;
      }
    } else if (result.kind === 'drop' && result.reason === 'bot') {
      const day = new Date(decoded.record.ts).toISOString().slice(0, 10);
      const key = `${decoded.record.site}\u0000${day}`;
      const entry = bots.get(key) ?? { site: decoded.record.site, day, bots: 0 };
      entry.bots += 1;
      bots.set(key, entry);
    }
    const label = result.kind === 'drop' ? `drop_${result.reason}` : result.kind;
    results[label] = (results[label] ?? 0) + 1;
  }
  return { rows, bots: [...bots.values()], results, props, unreadable };
}

/** pseudonymizeBatch with the rows encoded for the insert, in a buffer of their own (transferable). */
export async function transformBatch(pseudonymizer: Pseudonymizer, values: readonly (Uint8Array | string)[]): Promise<TransformOutput> {
  const lines: string[] = [];
  const counts = await pseudonymizeBatch(pseudonymizer, values, (row) => lines.push(JSON.stringify(row)));
  // TextEncoder gives the bytes a buffer of their own (Buffer.from may use its shared pool), so they can be transferred.
  const events = new TextEncoder().encode(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return { ...counts, events };
}
