import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '@tokumei/api';
import { migrate, type StoreClient } from '@tokumei/store';
import type { ClickHouseSink } from '@tokumei/worker';
import { FIXTURE_LOGGER, openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { PAGES, generateTraffic, truthBreakdown, truthSeries, truthSummary, type Range } from '../helpers/traffic.js';

// Known truth: seeded traffic goes into the real events table through the worker's own sink (so through every
// materialized view), and every number the API answers must equal what plain TypeScript computes from the same rows.
// Counts are exact; visitor and session counts use ClickHouse's uniq, which is exact while a state holds fewer than
// 65,536 distinct values (it samples above that), so at this size they must be exact too.

const logger = FIXTURE_LOGGER;
const DAY = 86_400;
const K = 5;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 3 * DAY; // midnight, three days ago: inside every TTL
const traffic = generateTraffic('truth.example.com', START, 3, 60);
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const ALL: Range = { from: START, to: START + 3 * DAY };
const query = (r: Range) => `site=${traffic.site}&from=${date(r.from)}&to=${date(r.to - DAY)}`;

let fixture: StatsFixture;
let store: StoreClient;
let app: ApiApp;
let sink: ClickHouseSink;

async function get<T>(url: string): Promise<T> {
  const response = await app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

const seed = () => fixture.seed();

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-stats-', traffic.rows, { minVisitors: K, now: NOW });
  ({ store, app, sink } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe('stats API against known truth', () => {
  it('has traffic worth testing: bounces, multi-page sessions, consent rows, custom events, folded values', () => {
    const truth = truthSummary(traffic, ALL);
    expect(truth.bounces).toBeGreaterThan(10);
    expect(truth.sessionsStarted - truth.bounces).toBeGreaterThan(10);
    expect(traffic.rows.some((r) => r.session === '0')).toBe(true);
    expect(traffic.rows.some((r) => r.event !== 'pageview')).toBe(true);
    expect(truthBreakdown(traffic, ALL, 'referrer', 10, K).folded).toBe(true);
  });

  it.each([
    ['three days', ALL],
    ['the middle day', { from: START + DAY, to: START + 2 * DAY }],
  ])('summary over %s equals the truth', async (_name, range) => {
    const body = await get<Record<string, unknown>>(`/api/stats/summary?${query(range)}`);
    const truth = truthSummary(traffic, range);
    expect(body).toMatchObject({ ...truth, bounceRate: expect.closeTo(truth.bounceRate, 12) as number,
      viewsPerSession: expect.closeTo(truth.viewsPerSession, 12) as number, avgDuration: expect.closeTo(truth.avgDuration, 9) as number });
  });

  it('compares with the previous period of the same length', async () => {
    const range = { from: START + 2 * DAY, to: START + 3 * DAY };
    const body = await get<{ previous: Record<string, unknown> }>(`/api/stats/summary?${query(range)}&compare=previous`);
    expect(body).toMatchObject({ pageviews: truthSummary(traffic, range).pageviews });
    expect(body.previous).toMatchObject({
      from: new Date((START + DAY) * 1000).toISOString(), to: new Date((START + 2 * DAY) * 1000).toISOString(),
      ...truthSummary(traffic, { from: START + DAY, to: START + 2 * DAY }),
    });
  });

  it('timeseries by day and by hour equals the truth, with empty buckets as zeros', async () => {
    const days = await get<{ series: unknown[] }>(`/api/stats/timeseries?${query(ALL)}&interval=day`);
    expect(days.series).toEqual(truthSeries(traffic, ALL, 86_400));
    const one = { from: START + DAY, to: START + 2 * DAY };
    const hours = await get<{ series: { pageviews: number }[] }>(`/api/stats/timeseries?${query(one)}&interval=hour`);
    expect(hours.series).toHaveLength(24);
    expect(hours.series).toEqual(truthSeries(traffic, one, 3600));
    expect(hours.series.some((b) => b.pageviews === 0)).toBe(true);
  });

  it.each(['page', 'entry_page', 'exit_page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device',
    'country', 'language', 'screen'])('breakdown by %s equals the truth, values under k folded into (other)', async (dimension) => {
    for (const limit of [10, 3]) {
      const body = await get<{ rows: { visitors: number; other?: boolean }[]; folded: boolean; more: number; minVisitors: number }>(
        `/api/stats/breakdown?${query(ALL)}&dimension=${dimension}&limit=${limit}`);
      expect({ rows: body.rows, folded: body.folded, more: body.more }).toEqual(truthBreakdown(traffic, ALL, dimension, limit, K));
      expect(body.minVisitors).toBe(K);
      expect(body.rows.filter((r) => r.other !== true && r.visitors < K)).toEqual([]);
    }
  });

  it('breakdowns over a range of datetimes answer the whole UTC days it touches, and say so', async () => {
    const range = { from: START + DAY - 6 * 3600, to: START + 2 * DAY + 5 * 3600 };
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
    for (const dimension of ['page', 'country', 'entry_page']) {
      const body = await get<Record<string, unknown>>(
        `/api/stats/breakdown?site=${traffic.site}&from=${iso(range.from)}Z&to=${iso(range.to)}Z&dimension=${dimension}&limit=5`);
      expect({ rows: body.rows, folded: body.folded, more: body.more }, dimension).toEqual(truthBreakdown(traffic, range, dimension, 5, K));
      expect(body).toMatchObject({ from: `${iso(START)}.000Z`, to: `${iso(START + 3 * DAY)}.000Z` });
    }
  });

  it('per-page counts are known exactly: a page named on every day shows all its page views', async () => {
    const body = await get<{ rows: { value: string; pageviews: number }[] }>(`/api/stats/breakdown?${query(ALL)}&dimension=page&limit=100`);
    const day = (d: number) => truthBreakdown(traffic, { from: START + d * DAY, to: START + (d + 1) * DAY }, 'page', 100, K).rows.map((r) => r.value);
    const everyDay = PAGES.filter((p) => [0, 1, 2].every((d) => day(d).includes(p)));
    expect(everyDay.length).toBeGreaterThan(2);
    const expected = everyDay.map((p) => [p, traffic.rows.filter((r) => r.path === p && r.event === 'pageview' && r.site === traffic.site).length]);
    expect(Object.fromEntries(body.rows.filter((r) => everyDay.includes(r.value as (typeof PAGES)[number])).map((r) => [r.value, r.pageviews])))
      .toEqual(Object.fromEntries(expected));
  });

  it('rejects an unknown dimension and a bad limit with TKM_INVALID_QUERY', async () => {
    for (const url of [`/api/stats/breakdown?${query(ALL)}&dimension=ip`, `/api/stats/breakdown?${query(ALL)}&dimension=page&limit=0`]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('TKM_INVALID_QUERY');
    }
  });

  it('counts realtime visitors of the last five minutes only', async () => {
    const now = Math.floor(NOW / 1000);
    const base = { ...traffic.rows[0], site: 'live.example.com', event: 'pageview', session: '11', ts: now - 60 };
    await sink.insertEvents([
      { ...base, visitor: '101' }, { ...base, visitor: '102', ts: now - 200 }, { ...base, visitor: '101', ts: now - 30 },
      { ...base, visitor: '103', ts: now - 900 }, // ten minutes too old
    ] as typeof traffic.rows, 'live-1');
    const body = await get<{ visitors: number; pageviews: number }>('/api/stats/realtime?site=live.example.com');
    expect(body).toMatchObject({ visitors: 2, pageviews: 3 });
  });

  it('stays exact when the worker redelivers every batch (deduplication reaches every view target)', async () => {
    const before = await Promise.all([
      get(`/api/stats/summary?${query(ALL)}`), get(`/api/stats/breakdown?${query(ALL)}&dimension=entry_page`),
      get(`/api/stats/breakdown?${query(ALL)}&dimension=country`), get(`/api/stats/timeseries?${query(ALL)}`),
    ]);
    await seed();
    const after = await Promise.all([
      get(`/api/stats/summary?${query(ALL)}`), get(`/api/stats/breakdown?${query(ALL)}&dimension=entry_page`),
      get(`/api/stats/breakdown?${query(ALL)}&dimension=country`), get(`/api/stats/timeseries?${query(ALL)}`),
    ]);
    expect(after).toEqual(before);
    const counts = await (await store.client.query({
      query: `SELECT (SELECT count() FROM events WHERE site = {site:String} AND event = 'pageview') AS events,
                     (SELECT sum(pageviews) FROM agg_site_hourly WHERE site = {site:String}) AS site_hourly,
                     (SELECT sum(pageviews) FROM agg_dimensions_hourly WHERE site = {site:String} AND dimension = 'page') AS dims,
                     (SELECT sum(pageviews) FROM agg_sessions WHERE site = {site:String}) AS sessions,
                     (SELECT countIf(session != '0') FROM (SELECT toString(session) AS session FROM events WHERE site = {site:String} AND event = 'pageview')) AS with_session`,
      query_params: { site: traffic.site }, format: 'JSONEachRow',
    })).json<Record<string, string | number>>();
    const pageviews = traffic.rows.filter((r) => r.site === traffic.site && r.event === 'pageview');
    const withSession = pageviews.filter((r) => r.session !== '0').length;
    expect(Object.fromEntries(Object.entries(counts[0] ?? {}).map(([key, n]) => [key, Number(n)]))).toEqual({
      events: pageviews.length, site_hourly: pageviews.length, dims: pageviews.length, sessions: withSession, with_session: withSession,
    });
  });

  it('keeps per-session rows as long as events and aggregates for months, and follows changed settings', async () => {
    const ttl = async () => Object.fromEntries((await (await store.client.query({
      query: "SELECT name, extract(create_table_query, 'TTL ([^S]+?) SETTINGS') AS ttl FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'agg_site_hourly', 'agg_dimensions_hourly', 'agg_sessions', 'agg_realtime_minutely')",
      format: 'JSONEachRow',
    })).json<{ name: string; ttl: string }>()).map((r) => [r.name, r.ttl]));
    expect(await ttl()).toEqual({
      events: 'ts + toIntervalDay(30)', agg_sessions: 'day + toIntervalDay(30)', agg_site_hourly: 'hour + toIntervalMonth(25)',
      agg_dimensions_hourly: 'hour + toIntervalMonth(25)', agg_realtime_minutely: 'minute + toIntervalDay(1)',
    });
    await migrate(store.client, { eventsTtlDays: 14, aggregatesTtlMonths: 13 }, logger);
    expect(await ttl()).toMatchObject({
      events: 'ts + toIntervalDay(14)', agg_sessions: 'day + toIntervalDay(14)', agg_site_hourly: 'hour + toIntervalMonth(13)',
      agg_dimensions_hourly: 'hour + toIntervalMonth(13)',
    });
  });
  it('backfills new statistics tables from the events still held when the migration is applied', async () => {
    const before = await Promise.all([get(`/api/stats/summary?${query(ALL)}`), get(`/api/stats/breakdown?${query(ALL)}&dimension=exit_page`)]);
    // Every table 003 backfills: its INSERTs name 003's columns, which 006 extended.
    for (const name of ['agg_site_hourly', 'agg_dimensions_hourly', 'agg_dimensions_daily', 'agg_sessions', 'agg_realtime_minutely']) {
      await store.client.command({ query: `DROP VIEW ${name}_mv` });
      await store.client.command({ query: `DROP TABLE ${name}` });
    }
    // 006 adds the salt domain to tables 003 creates, so both are applied again, in order.
    await store.client.command({ query: 'DELETE FROM tokumei_migrations WHERE version IN (3, 6)' });
    expect((await migrate(store.client, { eventsTtlDays: 30, aggregatesTtlMonths: 25 }, logger)).applied).toEqual(['003_stats', '006_salt_domains']);
    const after = await Promise.all([get(`/api/stats/summary?${query(ALL)}`), get(`/api/stats/breakdown?${query(ALL)}&dimension=exit_page`)]);
    expect(after).toEqual(before);
    // Applying it again (a half-applied migration is re-run whole) must not count anything twice.
    await store.client.command({ query: 'DELETE FROM tokumei_migrations WHERE version IN (3, 6)' });
    await migrate(store.client, { eventsTtlDays: 30, aggregatesTtlMonths: 25 }, logger);
    expect(await Promise.all([get(`/api/stats/summary?${query(ALL)}`), get(`/api/stats/breakdown?${query(ALL)}&dimension=exit_page`)])).toEqual(before);
  });
});
