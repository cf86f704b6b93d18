import path from 'node:path';
import type { Config, Logger } from '@tokumei/config';
import { FileRegister, Pseudonymizer, SaltStore, loadCountryLookup } from '@tokumei/privacy';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink, IMPORT_CHUNK_RECORDS, Worker, createWorkerMetrics, handleDirect } from '@tokumei/worker';
import { Registry } from 'prom-client';
import type { RecordSink, SinkMessage } from './sink.js';

/** Never started: the in-process import hands batches to the worker itself (handleDirect). */
const NO_SUBSCRIBER = { run: () => Promise.resolve(), stop: () => Promise.resolve() };

/**
 * No Tokumei runs on the data directory: the import opens the store itself and runs the same worker and privacy
 * engine in its own process, with the same salt file `tokumei start` uses (so today's visitors hash alike).
 */
export class LocalSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = false;

  private constructor(private readonly store: StoreClient, private readonly salts: SaltStore, private readonly worker: Worker) {}

  static async open(config: Config, logger: Logger): Promise<LocalSink> {
    const store = await createStoreClient(config);
    try {
      await migrate(store.client, config, logger.child({ module: 'migrate' }));
      const sink = new ClickHouseSink(store.client);
      const salts = new SaltStore(new FileRegister(path.join(config.dataDir, 'salts.json')), {
        graceMs: config.privacy.saltGraceMs,
        onRecord: (record) => void sink.recordSalt(record).catch((error: unknown) => logger.error({ err: error }, 'could not record salt commitment')),
      });
      // Salts whose time is over (and run salts a crashed import left) go before this import uses any.
      await salts.rotate();
      const geo = config.privacy.geo === 'country' ? loadCountryLookup() : undefined;
      const worker = new Worker({
        config: { batchSize: IMPORT_CHUNK_RECORDS }, subscriber: NO_SUBSCRIBER, sink, logger,
        pseudonymizer: new Pseudonymizer(salts, { ...config.privacy, consentPolicy: config.consentPolicy }, geo),
        metrics: createWorkerMetrics(new Registry()),
      });
      return new LocalSink(store, salts, worker);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  async send(stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    return Number(await handleDirect(this.worker, stream, BigInt(first), messages.map((m) => m.value)));
  }

  async finish(run: string): Promise<{ saltsDestroyed: number }> {
    return { saltsDestroyed: await this.salts.endRun(run) };
  }

  async close(): Promise<void> {
    await this.salts.close();
    await this.store.close();
  }
}
