import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '@tokumei/api';
import { rollupDays, type StoreClient } from '@tokumei/store';
import type { ClickHouseSink } from '@tokumei/worker';
import type { EventRow } from '@tokumei/privacy';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { generateTraffic, truthBreakdown, truthSeries, truthSummary, type Range } from '../helpers/traffic.js';

// The rollup job (packages/store/src/rollup.ts) turns finished days into plain numbers in stats_daily, and the API
// then reads those days from there. Same seeded traffic and truth as stats.test.ts: three days ending yesterday,
// the rollup runs as it did yesterday, so the first two are rolled up and yesterday stays in the state tables: every range over
// all three days is a mixed one.

const DAY = 86_400;
const K = 5;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 3 * DAY;
const traffic = generateTraffic('rollup.example.com', START, 3, 60, 7);
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const iso = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
const ALL: Range = { from: START, to: START + 3 * DAY };
const ROLLED: Range = { from: START, to: START + 2 * DAY };
const EDGES: Range = { from: START + DAY - 6 * 3600, to: START + 2 * DAY + 5 * 3600 };
const q = (r: Range) => `site=${traffic.site}&from=${iso(r.from)}&to=${iso(r.to)}`;
const DIMENSIONS = ['page', 'entry_page', 'exit_page', 'referrer', 'utm_source', 'browser', 'country', 'language'];

let store: StoreClient;
let app: ApiApp;
let sink: ClickHouseSink;

async function get<T>(url: string): Promise<T> {
  const response = await app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

// The job as it ran yesterday: the two days before yesterday are over and rolled up, yesterday is still live.
const rollup = (eventsTtlDays = 30) => rollupDays(store.client, { eventsTtlDays, now: () => NOW - DAY * 1000 });

/** Every number the API gives for a range, checked against the truth computed in TypeScript. */
async function expectTruth(range: Range, what = 'everything'): Promise<void> {
  const summary = await get<Record<string, number>>(`/api/stats/summary?${q(range)}`);
  const truth = truthSummary(traffic, range);
  expect(summary, what).toMatchObject({ ...truth, bounceRate: expect.closeTo(truth.bounceRate, 12) as number,
    viewsPerSession: expect.closeTo(truth.viewsPerSession, 12) as number, avgDuration: expect.closeTo(truth.avgDuration, 9) as number });
  // truthSeries counts whole buckets, so day buckets are compared only for ranges of whole days.
  const steps = range.from % DAY === 0 && range.to % DAY === 0 ? [86_400, 3600] as const : [3600] as const;
  for (const step of steps) {
    const body = await get<{ series: unknown[] }>(`/api/stats/timeseries?${q(range)}&interval=${step === 3600 ? 'hour' : 'day'}`);
    expect(body.series, `${what}: series by ${step} s`).toEqual(truthSeries(traffic, range, step));
  }
  for (const dimension of DIMENSIONS) {
    for (const limit of [10, 3]) {
      const body = await get<Record<string, unknown>>(`/api/stats/breakdown?${q(range)}&dimension=${dimension}&limit=${limit}`);
      expect({ rows: body.rows, folded: body.folded, more: body.more }, `${what}: ${dimension}`).toEqual(truthBreakdown(traffic, range, dimension, limit, K));
    }
  }
}

/** The totals row of the first day's latest rollup. */
async function firstDayRollup(): Promise<Record<string, number>> {
  const [row] = await (await store.client.query({
    query: `SELECT pageviews, sessions_started, version FROM stats_daily FINAL
            WHERE site = {site:String} AND dimension = '' AND day = {day:Date} ORDER BY version DESC LIMIT 1`,
    query_params: { site: traffic.site, day: date(START) }, format: 'JSONEachRow',
  })).json<Record<string, string | number>>();
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** Deletes the state rows of the rolled-up days, as TTL would. */
async function expire(tables: string[]): Promise<void> {
  for (const table of tables) {
    const hourly = table.endsWith('_hourly');
    await store.client.command({
      query: `ALTER TABLE ${table} DELETE WHERE ${hourly ? "hour < {end:DateTime('UTC')}" : 'day < toDate({end:DateTime(\'UTC\')})'}`,
      query_params: { end: `${date(START + 2 * DAY)} 00:00:00` }, clickhouse_settings: { mutations_sync: '2' },
    });
  }
}

let fixture: StatsFixture;

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-rollup-', traffic.rows, { minVisitors: K, now: NOW });
  ({ store, app, sink } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe('rolled-up days', () => {
  it('rolls up only days that are over, once, and answers exactly what the state tables answered', async () => {
    const urls = [ALL, ROLLED, EDGES].flatMap((r) => [
      `/api/stats/summary?${q(r)}&compare=previous`, `/api/stats/timeseries?${q(r)}&interval=hour`, `/api/stats/timeseries?${q(r)}`,
      ...DIMENSIONS.map((d) => `/api/stats/breakdown?${q(r)}&dimension=${d}&limit=4`),
    ]);
    const before = await Promise.all(urls.map((url) => get(url)));
    const rolled = await rollup();
    expect(rolled.filter((r) => r.site === traffic.site).map((r) => [r.day, r.previous])).toEqual([[date(START), 0], [date(START + DAY), 0]]);
    expect(await rollup()).toEqual([]); // nothing left: idempotent
    expect(await Promise.all(urls.map((url) => get(url)))).toEqual(before);
  });

  it.each([['rolled-up days only', ROLLED], ['rolled-up days and yesterday', ALL], ['partial days around a rolled-up one', EDGES]])(
    'equals the truth over %s', async (what, range) => {
      await expectTruth(range, what);
    });

  it('picks up late records for a rolled-up day: exact at once, rolled up again by the next run', async () => {
    const day1 = traffic.rows.filter((r) => r.site === traffic.site && r.event === 'pageview' && r.session !== '0' && r.ts < START + DAY);
    const counts = new Map<string, number>();
    for (const r of day1) counts.set(r.session, (counts.get(r.session) ?? 0) + 1);
    const first = day1.find((r) => (counts.get(r.session) ?? 0) > 1) as EventRow;
    const late: EventRow[] = [
      // An earlier page view of an existing session: its entry page moves to a value the old rollup never had.
      { ...first, ts: first.ts - 30, path: '/late/entry', referrer_host: '' },
      // A whole new visitor on that day.
      { ...first, ts: START + 7200, path: '/late/new', session: '9000000000000000001', visitor: '9000000000000000002' },
    ];
    const before = await firstDayRollup();
    traffic.rows.push(...late);
    await sink.insertEvents(late, 'late-1');
    await expectTruth(ALL, 'stale day read from the state tables');
    expect(await firstDayRollup()).toEqual(before);

    const rolled = await rollup();
    expect(rolled.map((r) => [r.day, r.previous, r.pageviews])).toEqual([[date(START), before.version, (before.version ?? 0) + 2]]);
    expect(await firstDayRollup()).toMatchObject({ pageviews: (before.pageviews ?? 0) + 2, version: (before.version ?? 0) + 2 });
    await expectTruth(ALL, 'after the second rollup');
    await expectTruth(ROLLED, 'rolled-up days after the second rollup');
  });

  it('keeps the session metrics of a day whose per-session rows expired when an old log adds to it', async () => {
    // agg_sessions lives as long as events (TOKUMEI_EVENTS_TTL_DAYS); the other state tables for months.
    await expire(['agg_sessions']);
    await expectTruth(ROLLED, 'per-session rows gone');
    const old = traffic.rows.find((r) => r.site === traffic.site && r.event === 'pageview') as EventRow;
    const imported: EventRow[] = [{ ...old, ts: START + 100, session: '0', visitor: '0', path: '/imported' }];
    traffic.rows.push(...imported);
    await sink.insertEvents(imported, 'import-1');
    // With a 2-day events TTL the first day's per-session rows count as expired: its earlier metrics are kept.
    expect((await rollup(2)).map((r) => r.day)).toEqual([date(START)]);
    await expectTruth(ROLLED, 'rolled up again without per-session rows');
  });

  it('answers rolled-up days from stats_daily alone once every state row is gone', async () => {
    await expire(['agg_dimensions_daily', 'agg_dimensions_hourly', 'agg_site_hourly']);
    await expectTruth(ROLLED, 'state rows gone');
    await expectTruth(ALL, 'state rows gone, yesterday live');
    expect(await rollup()).toEqual([]);
  });
});
