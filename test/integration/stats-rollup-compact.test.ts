import { afterAll, beforeAll, expect, it } from 'vitest';
import { rollupDays } from '@tokumei/store';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { generateTraffic } from '../helpers/traffic.js';

// The rollup job merges the months it wrote into one part of stats_daily each (rollup.ts `compact`): the API reads
// stats_daily with FINAL, which merges a partition's parts on every read unless there is one. Two runs write two
// parts; the answer must not move, and a later run finds nothing to do and leaves the part alone.

const DAY = 86_400;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 3 * DAY;
const traffic = generateTraffic('compact.example.com', START, 3, 40, 11);
const iso = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
const range = `site=${traffic.site}&from=${iso(START)}&to=${iso(START + 3 * DAY)}`;

let fixture: StatsFixture;

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-compact-', traffic.rows, { minVisitors: 5, now: NOW });
});

afterAll(async () => {
  await fixture?.close();
});

const parts = async () => (await (await fixture.store.client.query({
  query: `SELECT partition, count() AS parts, max(modification_time) AS changed FROM system.parts
          WHERE active AND database = currentDatabase() AND table = 'stats_daily' GROUP BY partition ORDER BY partition`,
  format: 'JSONEachRow',
})).json<{ partition: string; parts: string | number; changed: string }>()).map((p) => ({ ...p, parts: Number(p.parts) }));

const answers = async () => Promise.all(['summary?', 'breakdown?dimension=page&', 'breakdown?dimension=entry_page&', 'timeseries?'].map(async (path) => {
  const response = await fixture.app.inject({ method: 'GET', url: `/api/stats/${path}${range}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<unknown>();
}));

it('leaves one part per month of stats_daily after a rollup, with the same answers', async () => {
  // The first run as it would have run two days ago (one day over), the second as of now (two more days).
  await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW - 2 * DAY * 1000 });
  await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW });
  const merged = await parts();
  expect(merged.length).toBeGreaterThan(0);
  expect(merged.every((p) => p.parts === 1), JSON.stringify(merged)).toBe(true);
  const before = await answers();
  // Nothing pending: no write, no merge of a partition that is one part already.
  expect(await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW })).toEqual([]);
  expect(await parts()).toEqual(merged);
  expect(await answers()).toEqual(before);
});
