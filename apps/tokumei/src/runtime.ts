import { Journal, MemoryBus, createBus, journalDir, journalMaxBytes, type Bus, type Publisher } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import { buildApiApp } from '@tokumei/api';
import { buildIngestApp, type ImportTarget, type IngestApp } from '@tokumei/ingest';
import { utcDay, type SaltRegister } from '@tokumei/privacy';
import { RollupJob, createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { handleDirect } from '@tokumei/worker';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createAuditRunner, type ReportingAuditRunner } from './audit-service.js';
import { busWorker, importWorker, openWorkerParts, saltRegister } from './compose-worker.js';
import { newControlToken, writeInstanceFile } from './instance.js';

export interface Running {
  readonly mode: 'embedded' | 'distributed';
  readonly bus: Bus;
  readonly store: StoreClient | undefined;
  readonly urls: { readonly ingest?: string; readonly api?: string };
  /** Bearer token of the `/internal/*` routes, also written to the data directory's instance.json. */
  readonly controlToken: string;
  /** Runs the privacy audit here (where the store is open); `tokumei audit` reaches it through the API. */
  readonly audit: ReportingAuditRunner | undefined;
  /** Stops accepting, drains the bus and the worker, closes ClickHouse. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The API's readiness check pings ClickHouse; a ClickHouse that answers pings but refuses the worker's inserts is
 * not ready either. This view of the client fails ping() while the worker's writes fail, and is the client otherwise.
 */
function reportingWrites(client: StoreClient['client'], healthy: () => boolean): StoreClient['client'] {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'ping') {
        return async (...args: Parameters<typeof client.ping>) => (healthy() ? target.ping(...args) : { success: false as const, error: new Error('the worker cannot write to ClickHouse') });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface StartOptions {
  /** The client the worker writes through (fault tests wrap the real one); the API and migrations use the real one. */
  readonly workerClient?: (client: StoreClient['client']) => StoreClient['client'];
}

/**
 * Composes the roles this process runs. Embedded mode is all roles with the in-process bus and chDB; distributed
 * mode is any subset with Kafka and/or a ClickHouse server. The same code path serves both.
 */
export async function startTokumei(config: Config, logger: Logger, options: StartOptions = {}): Promise<Running> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const bus = createBus(config, logger);
  const controlToken = newControlToken();
  const closers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
  };
  closers.push(() => bus.close());

  try {
    if (config.roles.has('ingest') || config.roles.has('worker')) await bus.ensureTopics();

    let store: StoreClient | undefined;
    if (config.roles.has('worker') || config.roles.has('api')) {
      const opened = await createStoreClient(config);
      store = opened;
      closers.push(() => opened.close());
      await migrate(opened.client, config, logger.child({ module: 'migrate' }));
    }

    let imports: ImportTarget | undefined;
    let register: SaltRegister | undefined;
    let storeHealthy = () => true;
    if (config.roles.has('worker') && store !== undefined) {
      register = saltRegister(config, bus);
      const parts = await openWorkerParts({ config, logger, client: options.workerClient?.(store.client) ?? store.client, register, registry });
      const { salts } = parts;
      closers.push(() => salts.close());
      // Destruction must not wait for traffic: check every minute whether a day's salt has expired.
      const rotation = setInterval(() => void salts.rotate().catch((error: unknown) => logger.error({ err: error }, 'salt rotation failed')), 60_000);
      rotation.unref();
      closers.push(() => Promise.resolve(clearInterval(rotation)));
      // Finished days become plain per-day numbers for the stats API: now (in the background), then periodically.
      // Every worker replica runs it; their rollups of one day are identical rows that ReplacingMergeTree collapses.
      const rollup = new RollupJob(store.client, { eventsTtlDays: config.eventsTtlDays, logger: logger.child({ module: 'rollup' }) });
      rollup.start();
      closers.push(() => rollup.stop());
      if (bus instanceof MemoryBus) {
        // Embedded mode: what ingest accepted survives a crash. The journal's key comes from the day's salt, so the
        // salt's destruction also makes that day's journal unreadable; the last process's records come back first.
        const { journal, replay } = await Journal.open({
          dir: journalDir(config.dataDir), retentionMs: config.rawRetentionMs, maxBytes: journalMaxBytes(config),
          saltFor: (day) => salts.isLive(day) ? salts.saltFor(day) : Promise.resolve(undefined),
          logger: logger.child({ module: 'journal' }),
        });
        bus.useJournal(journal, replay);
        if (replay.messages.length + replay.unreadable + replay.expired > 0) {
          logger.info({ records: replay.messages.length, unreadable: replay.unreadable, expired: replay.expired, today: utcDay(Date.now()) }, 'journal replayed');
        }
      }
      const worker = busWorker(parts, config, bus.subscriber(), logger);
      await worker.start();
      closers.push(() => worker.stop());
      storeHealthy = () => worker.storeHealthy();
      // `tokumei import` on this data directory hands its records here (see @tokumei/import).
      const imported = importWorker(parts, logger);
      closers.push(() => imported.stop());
      imports = { store: (stream, first, values) => handleDirect(imported, stream, first, values), finishRun: (run) => salts.endRun(run) };
    }

    const urls: { ingest?: string; api?: string } = {};
    let ingestApp: IngestApp | undefined;
    const audit = store === undefined ? undefined
      : createAuditRunner({ config, store, bus, logger, ranIn: 'running-instance', register, ingest: () => ingestApp, imports });
    if (config.roles.has('api') && store !== undefined) {
      const api = await buildApiApp({ config, clickhouse: reportingWrites(store.client, () => storeHealthy()), logger, registry, controlToken, audit });
      urls.api = await api.listen({ host: config.host, port: config.apiPort });
      closers.push(() => api.close());
    }

    if (config.roles.has('ingest')) {
      const publisher: Publisher = bus.publisher();
      closers.push(() => publisher.close());
      // Where the worker runs here, a ClickHouse refusing its writes makes ingest not ready too: the bus only fills up.
      const readiness = { ready: async () => (await bus.ready()) && storeHealthy() };
      const ingest = await buildIngestApp({ config, bus: readiness, publisher, logger, registry, controlToken, imports });
      ingestApp = ingest;
      urls.ingest = await ingest.listen({ host: config.host, port: config.ingestPort });
      // Closed first on stop: no new beacons, then the publisher flushes what the open requests published.
      closers.push(() => ingest.close());
    }

    const removeInstanceFile = writeInstanceFile(config.dataDir, {
      pid: process.pid, startedAt: new Date().toISOString(), ...urls, controlToken,
    });
    closers.unshift(() => Promise.resolve(removeInstanceFile()));

    let stopping: Promise<void> | undefined;
    return {
      mode: config.kafka === undefined && config.clickhouseUrl === undefined ? 'embedded' : 'distributed',
      bus,
      store,
      urls,
      controlToken,
      audit,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
