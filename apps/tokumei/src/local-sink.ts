import type { Config, Logger } from '@tokumei/config';
import type { RecordSink, SinkMessage } from '@tokumei/import';
import type { SaltStore } from '@tokumei/privacy';
import { createStoreClient, migrate, type EmbeddedEngine, type StoreClient } from '@tokumei/store';
import { TransformPool, handleDirect, type Worker } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { importWorker, openWorkerParts, saltRegister } from './compose-worker.js';

/**
 * No Tokumei runs on the data directory: the import opens the store itself and runs the same worker and privacy
 * engine in its own process, with the same salt file `tokumei start` uses (so today's visitors hash alike).
 */
export class LocalSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = false;

  private constructor(
    private readonly store: StoreClient, private readonly salts: SaltStore, private readonly worker: Worker, private readonly pool: TransformPool | undefined,
  ) {}

  /**
   * `engine`: how the embedded engine starts (the import's bounds on its memory, `IMPORT_ENGINE`). `threads`: how
   * many threads pseudonymize (default: defaultThreads()); 0 pseudonymizes on this thread, as `tokumei start` does.
   */
  static async open(config: Config, logger: Logger, engine?: EmbeddedEngine, threads?: number): Promise<LocalSink> {
    const store = await createStoreClient(config, engine);
    try {
      await migrate(store.client, config, logger.child({ module: 'migrate' }));
      const parts = await openWorkerParts({ config, logger, client: store.client, register: saltRegister(config, undefined), registry: new Registry() });
      // The privacy engine on the other cores, with this process's salts, while this thread parses the next batch.
      const pool = threads === 0 ? undefined : TransformPool.start({
        options: { ...config.privacy, consentPolicy: config.consentPolicy }, geo: config.privacy.geo === 'country', salts: parts.salts, threads,
      });
      return new LocalSink(store, parts.salts, importWorker(parts, logger, pool), pool);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  async send(stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    return Number(await handleDirect(this.worker, stream, BigInt(first), messages.map((m) => m.value)));
  }

  prepare(messages: readonly SinkMessage[]): void {
    this.pool?.prepare(messages.map((m) => m.value));
  }

  async finish(run: string): Promise<{ saltsDestroyed: number }> {
    return { saltsDestroyed: await this.salts.endRun(run) };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.salts.close();
    await this.store.close();
  }
}
