import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { MemorySaltStore, Pseudonymizer, loadCountryLookup, type EventRow } from '@tokumei/privacy';
import { createStoreClient, migrate, rollupDays, type StoreClient } from '@tokumei/store';
import type { RawRecord } from '@tokumei/schema';
import { ClickHouseSink } from '@tokumei/worker';
import { ENCODINGS, FIELDS, hostileRecord, reveals, secret, type Secret } from '../../packages/privacy/test/hostile.js';
import { tempDir } from '../helpers/pipeline.js';

/**
 * The promise end to end: hostile records (every family of personal data, in every field, under every encoding) go
 * through the privacy engine and the worker's sink into a migrated chDB, through every materialized view and the
 * daily rollup; then every text-bearing column of every table is read back, decoded every way, and searched.
 */
const DAY = 86_400_000;
const NOW = Date.now();
const logger = createLogger({ level: 'warn' });
let store: StoreClient;
const secrets = fc.sample(secret, { numRuns: 200, seed: 42 });

beforeAll(async () => {
  const config = { clickhouseUrl: undefined, dataDir: tempDir('privacy-hostile'), eventsTtlDays: 30, aggregatesTtlMonths: 25 };
  store = await createStoreClient(config);
  await migrate(store.client, config, logger);
});
afterAll(async () => {
  await store.close();
});

interface Column { table: string; name: string; type: string }

async function storedValues(): Promise<{ where: string; value: string }[]> {
  const columns = await (await store.client.query({
    query: `SELECT table, name, type FROM system.columns WHERE database = currentDatabase()
              AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine != 'MaterializedView')`,
    format: 'JSONEachRow',
  })).json<Column>();
  const out: { where: string; value: string }[] = [];
  for (const c of columns) {
    // Numbers (times, counts, 64-bit hashes) cannot spell anything; strings and aggregate states (which hold the
    // strings of argMin/argMax entry and exit pages) can.
    if (/^(U?Int|Float|Date|DateTime|Nullable\(DateTime)/.test(c.type) || /^SimpleAggregateFunction\((sum|min|max|any), (U?Int|DateTime)/.test(c.type)) continue;
    const rows = await (await store.client.query({
      query: `SELECT DISTINCT toString(\`${c.name}\`) AS v FROM \`${c.table}\` LIMIT 100000`, format: 'JSONEachRow',
    })).json<{ v: string }>();
    for (const { v } of rows) out.push({ where: `${c.table}.${c.name}`, value: v });
  }
  return out;
}

describe('hostile input, end to end: nothing readable in any table', () => {
  it('stores the page views with placeholders, and no table reveals any secret in any reading', async () => {
    const pseudonymizer = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'ignore' }, loadCountryLookup());
    const sink = new ClickHouseSink(store.client);
    const records: RawRecord[] = [];
    const used: Secret[] = [];
    secrets.forEach((s, i) => {
      used.push(s);
      for (const [j, how] of ENCODINGS.entries()) {
        const field = FIELDS[(i + j) % FIELDS.length] ?? 'path';
        // Yesterday and today, so the daily rollup (stats_daily) holds hostile values too.
        records.push(hostileRecord(s, field, how, NOW - ((i + j) % 2) * DAY));
      }
    });
    const stored: EventRow[] = [];
    for (const record of records) {
      const result = await pseudonymizer.process(record);
      if (result.kind === 'ok') stored.push(result.row);
    }
    expect(stored.length).toBeGreaterThan(secrets.length * ENCODINGS.length * 0.8);
    for (let i = 0; i < stored.length; i += 500) await sink.insertEvents(stored.slice(i, i + 500), `hostile-${i}`);
    const rolled = await rollupDays(store.client, { eventsTtlDays: 30, now: () => NOW });
    expect(rolled.length).toBeGreaterThan(0);

    const values = await storedValues();
    const tables = new Set(values.map((v) => v.where.split('.')[0]));
    expect([...tables]).toEqual(expect.arrayContaining(['events', 'agg_dimensions_hourly', 'agg_dimensions_daily', 'agg_sessions', 'stats_daily']));
    const leaks: string[] = [];
    for (const { where, value } of values) {
      for (const s of used) if (reveals(value, s)) leaks.push(`${where} ${JSON.stringify(value.slice(0, 80))} reveals ${s.family} ${JSON.stringify(s.text)}`);
    }
    expect(leaks.slice(0, 20)).toEqual([]);
  }, 180_000);
});
