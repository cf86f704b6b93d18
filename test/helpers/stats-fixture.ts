import { buildApiApp, type ApiApp } from '@tokumei/api';
import { createLogger } from '@tokumei/config';
import type { EventRow } from '@tokumei/privacy';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { tempDir } from './pipeline.js';

export const FIXTURE_LOGGER = createLogger({ level: 'warn' });
const SEED_CHUNK = 100;

export interface StatsFixture {
  readonly store: StoreClient;
  readonly sink: ClickHouseSink;
  readonly app: ApiApp;
  /** Inserts the rows through the worker's own sink (so through every materialized view), with fixed tokens. */
  seed(): Promise<void>;
  close(): Promise<void>;
}

/** A migrated chDB of its own, seeded with `rows`, and the stats API over it with a fixed clock. */
export async function openStatsFixture(prefix: string, rows: readonly EventRow[], options: { minVisitors: number; now: number }): Promise<StatsFixture> {
  const config = { clickhouseUrl: undefined, dataDir: tempDir(prefix), eventsTtlDays: 30, aggregatesTtlMonths: 25 };
  const store = await createStoreClient(config);
  await migrate(store.client, config, FIXTURE_LOGGER);
  const sink = new ClickHouseSink(store.client);
  const seed = async () => {
    for (let i = 0; i < rows.length; i += SEED_CHUNK) await sink.insertEvents(rows.slice(i, i + SEED_CHUNK), `seed-${i}`);
  };
  await seed();
  const app = await buildApiApp({
    config: { apiToken: undefined, host: '127.0.0.1', minVisitors: options.minVisitors },
    clickhouse: store.client, logger: FIXTURE_LOGGER, registry: new Registry(), clock: () => options.now,
  });
  return {
    store, sink, app, seed,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
