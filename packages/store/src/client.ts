import fs from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '@tokumei/config';

export type StoreKind = 'embedded' | 'server';

export interface StoreClient {
  readonly kind: StoreKind;
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

/**
 * `@clickhouse/client` everywhere: a server when CLICKHOUSE_URL is set, otherwise ClickHouse's own engine in this
 * process (chDB) on TOKUMEI_DATA_DIR. chDB is loaded only here and only in embedded mode, so an ingest-only process
 * never maps its 500 MB library.
 */
export async function createStoreClient(config: Pick<Config, 'clickhouseUrl' | 'dataDir'>): Promise<StoreClient> {
  if (config.clickhouseUrl !== undefined) {
    const client = createClient({
      url: config.clickhouseUrl,
      request_timeout: 30_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    return { kind: 'server', client, close: () => client.close() };
  }
  const dir = path.join(config.dataDir, 'clickhouse');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { createChdbConnection } = await import('chdb/connection');
  const { drainPending } = await import('chdb');
  // chdb implements @clickhouse/client-common's Connection; @clickhouse/client bundles its own copy of those types.
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  return {
    kind: 'embedded',
    client,
    close: async () => {
      await client.close();
      // chDB's close returns before the engine lets go of the directory; wait, so the next open cannot race it.
      await drainPending();
    },
  };
}
