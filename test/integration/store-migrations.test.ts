import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { FIELD_POLICY } from '@tokumei/privacy';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink } from '@tokumei/worker';
import { tempDir } from '../helpers/pipeline.js';
import { generateTraffic } from '../helpers/traffic.js';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/store/migrations');
const logger = createLogger({ level: 'warn' });
const config = { clickhouseUrl: undefined, dataDir: tempDir('tokumei-migrations-'), eventsTtlDays: 30, aggregatesTtlMonths: 25 };
const DAY = 86_400;
const SITE = 'migrations.example.com';
const START = Math.floor(Date.now() / 1000 / DAY) * DAY - 2 * DAY;
let store: StoreClient;

/** The migrations an older release shipped: the files up to and including `version`. */
function releaseUpTo(version: number): string {
  const dir = tempDir('tokumei-release-');
  for (const file of fs.readdirSync(MIGRATIONS).filter((f) => Number(f.slice(0, 3)) <= version)) {
    fs.copyFileSync(path.join(MIGRATIONS, file), path.join(dir, file));
  }
  return dir;
}

async function rows<T>(query: string): Promise<T[]> {
  return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** The site's page views in a table, of the rows that also meet `where`. */
const pageviewsIn = async (table: string, where = '1') => Number((await (await store.client.query({
  query: `SELECT sum(pageviews) AS n FROM ${table} WHERE site = {site:String} AND ${where}`, query_params: { site: SITE }, format: 'JSONEachRow',
})).json<{ n: string }>())[0]?.n);

const objects = async () => (await rows<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name'))
  .map((r) => r.name);

beforeAll(async () => {
  store = await createStoreClient(config);
});
afterAll(async () => {
  await store?.close();
});

describe('007 drops agg_pages_hourly and its view', () => {
  it('upgrades a database that 006 left with a filled page table, and inserts keep working without it', async () => {
    expect((await migrate(store.client, config, logger, releaseUpTo(6))).current).toBe(6);
    const sink = new ClickHouseSink(store.client);
    const before = generateTraffic(SITE, START, 1, 20, 3);
    await sink.insertEvents(before.rows, 'migrations-before');
    expect(await objects()).toEqual(expect.arrayContaining(['agg_pages_hourly', 'agg_pages_hourly_mv']));
    // The page breakdown already held the same numbers: nothing is lost with the table.
    expect(await pageviewsIn('agg_pages_hourly')).toBeGreaterThan(0);
    expect(await pageviewsIn('agg_pages_hourly')).toBe(await pageviewsIn('agg_dimensions_hourly', "dimension = 'page'"));

    // Later migrations follow 007 in the same run.
    expect((await migrate(store.client, config, logger)).applied[0]).toBe('007_drop_pages_hourly');
    const names = await objects();
    expect(names.filter((n) => n.startsWith('agg_pages_hourly'))).toEqual([]);
    // What is left is exactly what the field policy declares (plus the views that write into declared tables).
    const views = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'");
    expect(names.filter((n) => !views.some((v) => v.name === n))).toEqual(FIELD_POLICY.map((t) => t.table).sort());

    const after = generateTraffic(SITE, START + DAY, 1, 20, 4);
    await sink.insertEvents(after.rows, 'migrations-after');
    const pageviews = [...before.rows, ...after.rows].filter((r) => r.site === SITE && r.event === 'pageview').length;
    expect(await pageviewsIn('agg_site_hourly')).toBe(pageviews);
    expect(await pageviewsIn('agg_dimensions_hourly', "dimension = 'page'")).toBe(pageviews);
  });

  it('is applied again without error when it was interrupted (the version not yet recorded)', async () => {
    await store.client.command({ query: 'DELETE FROM tokumei_migrations WHERE version = 7' });
    expect((await migrate(store.client, config, logger)).applied).toEqual(['007_drop_pages_hourly']);
    expect((await migrate(store.client, config, logger)).applied).toEqual([]);
  });
});
