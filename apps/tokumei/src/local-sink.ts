import type { Config, Logger } from '@tokumei/config';
import type { RecordSink, SinkMessage } from '@tokumei/import';
import type { SaltStore } from '@tokumei/privacy';
import { createStoreClient, migrate, type EmbeddedEngine, type StoreClient } from '@tokumei/store';
import { handleDirect, type Worker } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { importWorker, openWorkerParts, saltRegister } from './compose-worker.js';

/**
 * No Tokumei runs on the data directory: the import opens the store itself and runs the same worker and privacy
 * engine in its own process, with the same salt file `tokumei start` uses (so today's visitors hash alike).
 */
export class LocalSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = false;

  private constructor(private readonly store: StoreClient, private readonly salts: SaltStore, private readonly worker: Worker) {}

  /** `engine`: how the embedded engine starts (the import's bounds on its memory, `IMPORT_ENGINE`). */
  static async open(config: Config, logger: Logger, engine?: EmbeddedEngine): Promise<LocalSink> {
    const store = await createStoreClient(config, engine);
    try {
      await migrate(store.client, config, logger.child({ module: 'migrate' }));
      const parts = await openWorkerParts({ config, logger, client: store.client, register: saltRegister(config, undefined), registry: new Registry() });
      return new LocalSink(store, parts.salts, importWorker(parts, logger));
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
