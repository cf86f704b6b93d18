import path from 'node:path';
import { KafkaBus, type Bus, type Subscriber } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import { FileRegister, Pseudonymizer, SaltStore, loadCountryLookup, saltRegisterRetentionMs, type SaltRegister } from '@tokumei/privacy';
import type { StoreClient } from '@tokumei/store';
import { ClickHouseSink, IMPORT_CHUNK_RECORDS, Worker, createWorkerMetrics, type TransformPool, type WorkerMetrics } from '@tokumei/worker';
import type { Registry } from 'prom-client';

/**
 * The one place a worker is put together: `tokumei start` (bus worker and import worker), `tokumei import` on a
 * data directory no instance runs on, and the audit's view of the salt register all come from here, so the three
 * cannot disagree about where salts live or how rows are written.
 */

/**
 * Where day salts live: a 0600 file in the data directory (embedded), or a compacted Kafka topic every worker
 * replica reads (distributed), whose retention bounds how long a destroyed salt can linger on a broker's disk.
 */
export function saltRegister(config: Config, bus: Bus | undefined): SaltRegister {
  if (bus instanceof KafkaBus) {
    return bus.sharedRegister({ topic: config.privacy.saltTopic, retentionMs: saltRegisterRetentionMs(config.privacy.saltGraceMs) });
  }
  return new FileRegister(path.join(config.dataDir, 'salts.json'));
}

export interface WorkerParts {
  readonly sink: ClickHouseSink;
  readonly salts: SaltStore;
  readonly pseudonymizer: Pseudonymizer;
  readonly metrics: WorkerMetrics;
}

/**
 * The sink, the salt store (rotated once: salts whose time is over go before any record uses one) and the privacy
 * engine. The caller closes `salts`.
 */
export async function openWorkerParts(options: {
  readonly config: Config;
  readonly logger: Logger;
  readonly client: StoreClient['client'];
  readonly register: SaltRegister;
  readonly registry: Registry;
}): Promise<WorkerParts> {
  const { config, logger } = options;
  const sink = new ClickHouseSink(options.client);
  const salts = new SaltStore(options.register, {
    graceMs: config.privacy.saltGraceMs,
    onRecord: (record) => void sink.recordSalt(record).catch((error: unknown) => logger.error({ err: error }, 'could not record salt commitment')),
  });
  try {
    await salts.rotate();
  } catch (error) {
    await salts.close();
    throw error;
  }
  const geo = config.privacy.geo === 'country' ? loadCountryLookup() : undefined;
  const pseudonymizer = new Pseudonymizer(salts, { ...config.privacy, consentPolicy: config.consentPolicy }, geo);
  return { sink, salts, pseudonymizer, metrics: createWorkerMetrics(options.registry) };
}

/** Never started: a worker that only handles what it is handed (handleDirect), in import-sized chunks. */
const NO_SUBSCRIBER: Subscriber = { run: () => Promise.resolve(), stop: () => Promise.resolve() };

/** The worker that consumes the bus; `pool`: its privacy engine in threads (where ingest shares this thread). */
export function busWorker(parts: WorkerParts, config: Config, subscriber: Subscriber, logger: Logger, pool?: TransformPool): Worker {
  return new Worker({
    config, subscriber, sink: parts.sink, logger, pseudonymizer: parts.pseudonymizer, metrics: parts.metrics, ...(pool === undefined ? {} : { pool }),
  });
}

/**
 * The worker `tokumei import` hands records to: the same privacy engine and sink, never consuming the bus. `pool`:
 * the privacy engine in threads, on the salts of `parts.salts` (see TransformPool).
 */
export function importWorker(parts: WorkerParts, logger: Logger, pool?: TransformPool): Worker {
  return new Worker({
    config: { batchSize: IMPORT_CHUNK_RECORDS }, subscriber: NO_SUBSCRIBER, sink: parts.sink, logger,
    pseudonymizer: parts.pseudonymizer, metrics: parts.metrics, ...(pool === undefined ? {} : { pool }),
  });
}
