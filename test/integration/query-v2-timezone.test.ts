import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { loadConfig } from '@tokumei/config';
import type { EventRow } from '@tokumei/privacy';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { tempDir } from '../helpers/pipeline.js';
import { spawnTokumei } from '../helpers/processes.js';
import { FIXTURE_LOGGER } from '../helpers/stats-fixture.js';

// TOKUMEI_SITE_TIMEZONES on real chDB: a site reporting in Asia/Tokyo gets v2's time buckets in Tokyo time from
// `events`, while k is still judged per (UTC day, salt domain) cell; a site not listed stays UTC. Two sites hold the
// same rows, so every Tokyo answer is the UTC one moved by 9 hours. The rows are of March 2026: events are kept 3650
// days here, or the store's TTL (from the real clock) would drop them.

const K = 5;
const JP = 'jp.example.com';
const UTC_SITE = 'utc.example.com';
const NOW = Date.parse('2026-03-05T12:00:00Z');
const at = (iso: string) => Date.parse(iso) / 1000;

/** Five people (one UTC day, so one salt domain and one day's visitor ids) with one page view each at `iso`. */
function five(site: string, iso: string, first: number): EventRow[] {
  return [0, 1, 2, 3, 4].map((i) => ({
    site, ts: at(iso) + i, event: 'pageview', host: site, path: '/', query: '', referrer_host: '', utm_source: '', utm_medium: '',
    utm_campaign: '', utm_term: '', utm_content: '', session: String(9000 + first + i), visitor: String(first + i), salt_domain: '0',
    browser: 'Firefox', browser_version: '130', os: 'Linux', os_version: '', device: 'desktop', screen: 'l', country: 'JP', lang: 'ja', src: 'beacon', props: {},
  }));
}
// 2026-02-28 20:00 UTC is 03-01 05:00 in Tokyo; 03-01 10:00 UTC is 19:00 there; 16:30 UTC is 03-02 01:30; 03-02 03:00 UTC is 12:00.
const TIMES = ['2026-02-28T20:00:00Z', '2026-03-01T10:00:00Z', '2026-03-01T16:30:00Z', '2026-03-02T03:00:00Z'];
const rows = [JP, UTC_SITE].flatMap((site) => TIMES.flatMap((iso, n) => five(site, iso, 1 + 10 * n)));

let store: StoreClient;
let app: ApiApp;
interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: Record<string, unknown> }
async function ask(site: string, body: Record<string, unknown>): Promise<Answer> {
  const response = await app.inject({ method: 'POST', url: '/api/v2/query', payload: { site_id: site, metrics: ['visitors'], ...body } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}
const table = (a: Answer) => a.results.map((r) => [...r.dimensions, ...r.metrics]);

beforeAll(async () => {
  const config = { ...loadConfig({ TOKUMEI_SITE_TIMEZONES: JSON.stringify({ [JP]: 'Asia/Tokyo' }), TOKUMEI_MIN_VISITORS: String(K), TOKUMEI_EVENTS_TTL_DAYS: '3650' }), dataDir: tempDir('tokumei-query-v2-tz-') };
  store = await createStoreClient(config);
  await migrate(store.client, config, FIXTURE_LOGGER);
  await new ClickHouseSink(store.client).insertEvents(rows, 'seed-tz');
  app = await buildApiApp({
    config: { apiToken: undefined, host: '127.0.0.1', minVisitors: K, eventsTtlDays: config.eventsTtlDays, siteTimeZones: config.siteTimeZones },
    clickhouse: store.client, logger: FIXTURE_LOGGER, registry: new Registry(), clock: () => NOW,
  });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('a site reporting in Asia/Tokyo', () => {
  it('time:day: page views at 2026-03-01 16:30 UTC fall on 2026-03-02, judged per UTC day; a UTC site is unchanged', async () => {
    const range = { date_range: ['2026-03-01', '2026-03-02'], dimensions: ['time:day'] };
    const jp = await ask(JP, range);
    // 10:00 UTC (19:00 JST) stays on 03-01; 16:30 UTC (01:30 JST) and 03-02 03:00 UTC both fall on 03-02.
    expect(table(jp)).toEqual([['2026-03-01', 5], ['2026-03-02', 10]]);
    expect(jp.meta).toMatchObject({ time_zone: 'Asia/Tokyo', site_time_zone: 'Asia/Tokyo' });
    expect(jp.meta.warnings).toEqual([expect.stringContaining('time buckets are Asia/Tokyo time, but date_range is whole UTC days')]);
    const utc = await ask(UTC_SITE, range);
    expect(table(utc)).toEqual([['2026-03-01', 10], ['2026-03-02', 5]]);
    expect(utc.meta).toMatchObject({ time_zone: 'UTC', site_time_zone: 'UTC' });
    expect(utc.meta.warnings).toBeUndefined();
  });

  it('time:hour: the same hours, 9 hours later on the Tokyo clock', async () => {
    const range = { date_range: ['2026-03-01', '2026-03-01'], dimensions: ['time:hour'] };
    const utc = table(await ask(UTC_SITE, range));
    expect(utc).toEqual([['2026-03-01 10:00:00', 5], ['2026-03-01 16:00:00', 5]]);
    const shifted = utc.map(([hour, n]) => [new Date(Date.parse(`${String(hour).replace(' ', 'T')}Z`) + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '), n]);
    expect(shifted).toEqual([['2026-03-01 19:00:00', 5], ['2026-03-02 01:00:00', 5]]);
    expect(table(await ask(JP, range))).toEqual(shifted);
  });

  it('time:month: 2026-02-28 20:00 UTC is March in Tokyo; a month before the range is labelled with its first local day', async () => {
    const range = { date_range: ['2026-02-28', '2026-03-02'], dimensions: ['time:month'] };
    expect(table(await ask(UTC_SITE, range))).toEqual([['2026-02-28', 5], ['2026-03-01', 15]]);
    expect(table(await ask(JP, range))).toEqual([['2026-03-01', 20]]);
  });

  it('a rollup answer says its days are UTC days', async () => {
    const jp = await ask(JP, { date_range: ['2026-03-01', '2026-03-02'] });
    expect(jp.meta.source).toBe('rollups');
    expect(jp.meta).toMatchObject({ time_zone: 'UTC', site_time_zone: 'Asia/Tokyo' });
    expect(jp.meta.warnings).toEqual(['answered from the rollups, which count per UTC day: date_range is whole UTC days, not Asia/Tokyo days']);
    const utc = await ask(UTC_SITE, { date_range: ['2026-03-01', '2026-03-02'] });
    expect(utc.results).toEqual(jp.results);
    expect(utc.meta.warnings).toBeUndefined();
  });
});

describe('a zone that is not one', () => {
  it('stops `tokumei start` with a configuration error naming the setting', async () => {
    const start = spawnTokumei({ TOKUMEI_DATA_DIR: tempDir('tokumei-tz-bad-'), TOKUMEI_SITE_TIMEZONES: JSON.stringify({ [JP]: 'Asia/Tokio' }) });
    await expect(start).rejects.toThrow(/exited with 1 before starting:[\s\S]*TKM_CONFIG: TOKUMEI_SITE_TIMEZONES site jp\.example\.com: "Asia\/Tokio" is not an IANA time zone/);
  });
});
