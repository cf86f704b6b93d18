import { describe, it, expect, afterEach } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { TokumeiError } from '@tokumei/errors';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';

const NOW = Date.parse('2026-03-10T12:34:56Z');
const TOKEN = 'test-token-0123456789';

interface QueryCall { query: string; query_params: Record<string, unknown> }

/** Only what the API uses of a ClickHouse client: ping() and query() → { json() }. */
function fakeClickHouse(rows: unknown[] = [], options: { up?: boolean; fail?: boolean; rolled?: unknown[] } = {}) {
  const calls: QueryCall[] = [];
  const lookups: QueryCall[] = [];
  const client = {
    ping: () => Promise.resolve({ success: options.up ?? true }),
    query: (params: QueryCall) => {
      if (options.fail === true) return Promise.reject(new Error('connection refused'));
      // Which days are rolled up (rolled-days.ts) is asked first; here none is, and `calls` holds the statistics queries.
      if (params.query.includes('max(version)')) {
        lookups.push(params);
        return Promise.resolve({ json: () => Promise.resolve(options.rolled ?? []) });
      }
      calls.push(params);
      return Promise.resolve({ json: () => Promise.resolve(rows) });
    },
  };
  return { client: client as unknown as ClickHouseClient, calls, lookups };
}

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(options: { token?: string; host?: string; rows?: unknown[]; up?: boolean; fail?: boolean; rolled?: unknown[] } = {}) {
  const clickhouse = fakeClickHouse(options.rows, { up: options.up, fail: options.fail, rolled: options.rolled });
  const logs = captureLogs();
  const app = await buildApiApp({
    config: { apiToken: options.token, host: options.host ?? '127.0.0.1' },
    clickhouse: clickhouse.client, logger: logs.logger, registry: new Registry(), clock: () => NOW,
  });
  apps.push(app);
  return { app, calls: clickhouse.calls, lookups: clickhouse.lookups, logs };
}

function get(app: ApiApp, url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers });
}

function errorCode(response: { json: () => unknown }): string | undefined {
  return (response.json() as { error?: { code?: string } }).error?.code;
}

describe('bearer token', () => {
  const url = '/api/stats/summary?site=example.com';

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['a longer token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['no scheme', { authorization: TOKEN }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('401 TKM_UNAUTHORIZED with %s, and ClickHouse is not asked', async (_name, headers) => {
    const { app, calls } = await setup({ token: TOKEN });
    const response = await get(app, url, headers);
    expect(response.statusCode).toBe(401);
    expect(errorCode(response)).toBe('TKM_UNAUTHORIZED');
    expect(calls).toHaveLength(0);
  });

  it('200 with the right token', async () => {
    const { app } = await setup({ token: TOKEN, rows: [{ pageviews: '12', visitors: '5', sessions: 7 }] });
    const response = await get(app, url, { authorization: `Bearer ${TOKEN}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      site: 'example.com', from: '2026-03-04T00:00:00.000Z', to: '2026-03-10T12:34:56.000Z', pageviews: 12, visitors: 5, sessions: 7,
      sessionsStarted: 0, bounces: 0, bounceRate: 0, viewsPerSession: 0, avgDuration: 0,
    });
  });

  it('guards the timeseries too', async () => {
    const { app } = await setup({ token: TOKEN });
    expect((await get(app, '/api/stats/timeseries?site=a')).statusCode).toBe(401);
    expect((await get(app, '/api/stats/timeseries?site=a', { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
  });

  it('needs no token when none is configured (loopback only)', async () => {
    const { app } = await setup();
    expect((await get(app, url)).statusCode).toBe(200);
  });

  it('leaves health endpoints open', async () => {
    const { app } = await setup({ token: TOKEN });
    expect((await get(app, '/healthz')).statusCode).toBe(200);
    expect((await get(app, '/readyz')).statusCode).toBe(200);
  });

  it('refuses to build on a non-loopback host without a token', async () => {
    await expect(setup({ host: '0.0.0.0' })).rejects.toBeInstanceOf(TokumeiError);
    await expect(setup({ host: '0.0.0.0', token: TOKEN })).resolves.toBeDefined();
  });
});

describe('query validation', () => {
  it.each([
    ['bad interval', '/api/stats/timeseries?site=a&interval=week'],
    ['missing site (timeseries)', '/api/stats/timeseries'],
    ['missing site (summary)', '/api/stats/summary'],
    ['empty site', '/api/stats/summary?site='],
    ['bad from', '/api/stats/summary?site=a&from=yesterday'],
    ['impossible date', '/api/stats/summary?site=a&from=2026-02-30'],
    ['from after to', '/api/stats/summary?site=a&from=2026-03-05&to=2026-03-01'],
  ])('%s → 400 TKM_INVALID_QUERY', async (_name, url) => {
    const { app, calls } = await setup();
    const response = await get(app, url);
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('TKM_INVALID_QUERY');
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['summary', '/api/stats/summary?site=a&sit=b', 'querystring: unknown field "sit"'],
    ['timeseries', '/api/stats/timeseries?site=a&intervl=day&form=2026-03-01', 'querystring: unknown fields "intervl", "form"'],
    ['breakdown', '/api/stats/breakdown?site=a&dimension=page&limt=5', 'querystring: unknown field "limt"'],
    ['realtime', '/api/stats/realtime?site=a&from=2026-03-01', 'querystring: unknown field "from"'],
    ['sites', '/api/stats/sites?site=a', 'querystring: unknown field "site"'],
    ['a key that is no field name', '/api/stats/summary?site=a&%3Cscript%3E=1', 'querystring: unknown field (unnamed)'],
    ['many keys', '/api/stats/summary?site=a&k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7', 'querystring: unknown fields "k1", "k2", "k3", "k4", "k5" and 2 more'],
  ])('an unknown key (%s) → 400 TKM_INVALID_QUERY naming it, and no query runs', async (_name, url, message) => {
    // fastify's default would strip the key and answer as if it were not there: a typo would go unnoticed.
    const { app, calls } = await setup();
    const response = await get(app, url);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'TKM_INVALID_QUERY', message } });
    expect(calls).toHaveLength(0);
  });

  it('names the missing parameter', async () => {
    const { app } = await setup();
    const response = await get(app, '/api/stats/summary');
    expect(response.json<{ error: { message: string } }>().error.message).toContain('site');
  });
});

describe('stats queries', () => {
  it('passes values as query parameters, never in the SQL text', async () => {
    const site = "x' OR 1=1 --";
    const { app, calls, lookups } = await setup();
    const response = await get(app, `/api/stats/summary?site=${encodeURIComponent(site)}&from=2026-03-01&to=2026-03-02`);
    expect(response.statusCode).toBe(200);
    expect(calls).toHaveLength(1);
    for (const call of [...lookups, ...calls]) {
      expect(call.query).not.toContain(site);
      expect(call.query).not.toMatch(/\bevents\b/); // aggregates only
    }
    expect(lookups[0]?.query_params).toMatchObject({ site, first: '2026-03-01', end: '2026-03-03' });
    expect(calls[0]?.query_params).toEqual({
      site, from: '2026-03-01 00:00:00', to: '2026-03-03 00:00:00', rolled_days: [], rolled_versions: [],
      live_from: '2026-03-01 00:00:00', live_to: '2026-03-03 00:00:00', engaged_visit_ms: 10_000,
    });
  });

  it.each([
    ['the first days', ['2026-03-01', '2026-03-02'], '2026-03-03 00:00:00', '2026-03-04 00:00:00'],
    ['the first and last day (a stale day between)', ['2026-03-01', '2026-03-03'], '2026-03-02 00:00:00', '2026-03-03 00:00:00'],
    ['every day', ['2026-03-01', '2026-03-02', '2026-03-03'], '2026-03-04 00:00:00', '2026-03-04 00:00:00'],
  ])('reads rolled-up days from stats_daily and narrows the state tables to the rest: %s', async (_name, days, liveFrom, liveTo) => {
    const { app, calls } = await setup({ rolled: days.map((day, i) => ({ day, version: String(10 + i) })) });
    expect((await get(app, '/api/stats/breakdown?site=a&dimension=page&from=2026-03-01&to=2026-03-03')).statusCode).toBe(200);
    expect(calls[0]?.query).toContain('stats_daily FINAL');
    expect(calls[0]?.query_params).toMatchObject({ rolled_days: days, rolled_versions: days.map((_d, i) => 10 + i), live_from: liveFrom, live_to: liveTo });
  });

  it('answers zeros when ClickHouse has no row', async () => {
    const { app } = await setup({ rows: [] });
    expect((await get(app, '/api/stats/summary?site=a')).json()).toMatchObject({ pageviews: 0, visitors: 0, sessions: 0 });
  });

  it('maps timeseries rows to ISO times and numbers, day interval by default', async () => {
    const rows = [
      { t: '2026-03-09 00:00:00', pageviews: '3', visitors: '2', sessions: '1' },
      { t: '2026-03-10 00:00:00', pageviews: 0, visitors: 0, sessions: 0 },
    ];
    const { app, calls } = await setup({ rows });
    const response = await get(app, '/api/stats/timeseries?site=a&from=2026-03-09&to=2026-03-10');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      site: 'a', from: '2026-03-09T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z', interval: 'day',
      series: [
        { time: '2026-03-09T00:00:00Z', pageviews: 3, visitors: 2, sessions: 1 },
        { time: '2026-03-10T00:00:00Z', pageviews: 0, visitors: 0, sessions: 0 },
      ],
    });
    expect(calls[0]?.query).toContain('toStartOfDay');
  });

  it('buckets by hour when asked', async () => {
    const { app, calls } = await setup();
    const response = await get(app, '/api/stats/timeseries?site=a&interval=hour');
    expect(response.statusCode).toBe(200);
    expect(response.json<{ interval: string }>().interval).toBe('hour');
    expect(calls[0]?.query).toContain('INTERVAL 1 HOUR');
  });

  it('turns a ClickHouse failure into a JSON error without leaking its message', async () => {
    const { app, logs } = await setup({ fail: true });
    const response = await get(app, '/api/stats/summary?site=a');
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
    expect(errorCode(response)).toMatch(/^TKM_/);
    expect(response.body).not.toContain('connection refused');
    expect(logs.text()).toContain('connection refused'); // but it is logged for operators
  });
});

describe('health', () => {
  it('/readyz follows the ClickHouse ping', async () => {
    const up = await setup({ up: true });
    expect((await get(up.app, '/readyz')).json()).toEqual({ status: 'ready', checks: { clickhouse: true } });
    const down = await setup({ up: false });
    const response = await get(down.app, '/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toEqual({ error: { code: 'TKM_STORE_UNAVAILABLE', message: 'not ready: clickhouse unavailable' } });
  });

  it('/metrics answers Prometheus text', async () => {
    const { app } = await setup();
    await get(app, '/healthz');
    const response = await get(app, '/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('tokumei_http_request_seconds');
  });

  it('unknown routes → 404 TKM_NOT_FOUND', async () => {
    const { app } = await setup();
    const response = await get(app, '/api/stats/nope?site=a');
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('TKM_NOT_FOUND');
  });
});

describe('breakdown, comparison, realtime', () => {
  it('returns the named rows, then one (other) row, and says only that values were withheld', async () => {
    const rows = [
      { named: 0, label: '', visitors: '7', pageviews: '9', sessions: '7', n_values: '4', floor: '5', named_values: '2' },
      { named: 1, label: '/pricing', visitors: '30', pageviews: '41', sessions: '33', n_values: '1', floor: '0', named_values: '2' },
      { named: 1, label: '/', visitors: '12', pageviews: '20', sessions: '12', n_values: '1', floor: '0', named_values: '2' },
    ];
    const { app, calls } = await setup({ rows });
    const response = await get(app, '/api/stats/breakdown?site=a&dimension=page&limit=1&from=2026-03-01&to=2026-03-02');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      dimension: 'page', limit: 1, minVisitors: 5, folded: true, more: 1,
      rows: [{ value: '/pricing', visitors: 30, pageviews: 41, sessions: 33 }, { value: '(other)', other: true, visitors: 7, pageviews: 9, sessions: 7 }],
    });
    expect(calls[0]?.query_params).toMatchObject({ site: 'a', dimension: 'page', k: 5, limit: 2 });
    expect(calls[0]?.query).not.toMatch(/\bevents\b/);
  });

  it.each([
    ['folds a single value (it would be that value\'s numbers)', '1', '5'],
    ['holds fewer than k visitors counted per salt domain', '3', '4'],
  ])('omits the (other) row when it %s', async (_name, values, floor) => {
    const rows = [
      { named: 0, label: '', visitors: '9', pageviews: '9', sessions: '9', n_values: values, floor, named_values: '1' },
      { named: 1, label: '/', visitors: '12', pageviews: '20', sessions: '12', n_values: '1', floor: '0', named_values: '1' },
    ];
    const { app } = await setup({ rows });
    const body = (await get(app, '/api/stats/breakdown?site=a&dimension=page')).json<{ rows: unknown[]; folded: unknown }>();
    expect(body).toMatchObject({ folded: true, rows: [{ value: '/', visitors: 12 }] });
    expect(body.rows).toHaveLength(1);
  });

  it('answers whole UTC days for a range of datetimes', async () => {
    const { app, calls } = await setup();
    const body = (await get(app, '/api/stats/breakdown?site=a&dimension=page&from=2026-03-01T10:00:00Z&to=2026-03-01T11:00:00Z')).json<Record<string, unknown>>();
    expect(body).toMatchObject({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z', folded: false, rows: [] });
    expect(calls.at(-1)?.query_params).toMatchObject({ from: '2026-03-01 00:00:00', to: '2026-03-02 00:00:00' });
  });

  it('reads entry pages from the per-session table', async () => {
    const { app, calls } = await setup();
    expect((await get(app, '/api/stats/breakdown?site=a&dimension=entry_page')).statusCode).toBe(200);
    expect(calls[0]?.query).toContain('argMinMerge(entry_page)');
  });

  it.each([['an unknown dimension', 'dimension=ip'], ['no dimension', ''], ['a limit of 0', 'dimension=page&limit=0'], ['a limit above 1000', 'dimension=page&limit=1001']])(
    'rejects %s', async (_name, params) => {
      const { app, calls } = await setup();
      const response = await get(app, `/api/stats/breakdown?site=a&${params}`);
      expect(response.statusCode).toBe(400);
      expect(errorCode(response)).toBe('TKM_INVALID_QUERY');
      expect(calls).toHaveLength(0);
    });

  it('compares with the period of the same length just before', async () => {
    const { app, calls } = await setup({ rows: [{ pageviews: 3, visitors: 2, sessions: 2, started: 2, bounces: 1, view_sum: 3, duration: 50 }] });
    const response = await get(app, '/api/stats/summary?site=a&from=2026-03-08&to=2026-03-09&compare=previous');
    expect(response.json()).toMatchObject({
      from: '2026-03-08T00:00:00.000Z', to: '2026-03-10T00:00:00.000Z', bounceRate: 0.5, viewsPerSession: 1.5, avgDuration: 25,
      previous: { from: '2026-03-06T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z', pageviews: 3 },
    });
    expect(calls.map((c) => c.query_params.from)).toEqual(['2026-03-08 00:00:00', '2026-03-06 00:00:00']);
  });

  it('realtime covers the current minute and the four before it', async () => {
    const { app, calls } = await setup({ rows: [{ pageviews: '4', visitors: '3' }] });
    const response = await get(app, '/api/stats/realtime?site=a');
    expect(response.json()).toEqual({ site: 'a', from: '2026-03-10T12:30:00.000Z', to: '2026-03-10T12:34:56.000Z', pageviews: 4, visitors: 3 });
    expect(calls[0]?.query).toContain('agg_realtime_minutely');
  });
});

describe('dashboard', () => {
  it('serves the page and uPlot without a token, with a strict content security policy', async () => {
    const { app, calls } = await setup({ token: TOKEN });
    const page = await get(app, '/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/dashboard/uPlot.iife.min.js');
    for (const asset of ['/dashboard/main.js', '/dashboard/i18n/ja.js', '/dashboard/style.css', '/dashboard/uPlot.iife.min.js', '/dashboard/uPlot.min.css']) {
      expect((await get(app, asset)).statusCode, asset).toBe(200);
    }
    // Only the page's own files: its type-check configuration is no asset.
    expect((await get(app, '/dashboard/tsconfig.json')).statusCode).toBe(404);
    expect(calls).toHaveLength(0);
    // The data behind it still needs the token.
    expect((await get(app, '/api/stats/sites')).statusCode).toBe(401);
  });
});
