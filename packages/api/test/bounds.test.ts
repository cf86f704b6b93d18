import { describe, it, expect, afterEach } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { DEFAULT_LIMITS, MAX_BUCKETS, assertBuckets, buildApiApp, parseRange, type ApiApp, type QueryLimits } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { fakeClickHouse, type Call } from './fake-clickhouse.js';

const NOW = Date.parse('2026-03-10T12:34:56Z');
/**
 * These answers take a few milliseconds; the bound only has to catch work that grows with a hostile range (building
 * its buckets, say), and leaves room for a loaded 2-core CI machine. How fast is bench/'s business, not a unit test's.
 */
const PROMPT_MS = 2000;


const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(answer?: (call: Call, index: number) => Promise<unknown[]>, limits?: Partial<QueryLimits>) {
  const fake = fakeClickHouse(answer);
  const logs = captureLogs();
  const app = await buildApiApp({
    config: { apiToken: undefined, host: '127.0.0.1' }, clickhouse: fake.client, logger: logs.logger, registry: new Registry(),
    clock: () => NOW, limits,
  });
  apps.push(app);
  return { app, calls: fake.calls, logs };
}

type ErrorJson = { error: { code: string; message: string } };

/** Shaped like @clickhouse/client's ClickHouseError (chDB throws its own copy of the class). */
function clickHouseError(type: string, code: string, message: string): Error {
  return Object.assign(new Error(message), { type, code });
}

describe('dates ClickHouse cannot hold are refused before any query', () => {
  const routes = ['/api/stats/summary?site=x.example', '/api/stats/timeseries?site=x.example', '/api/stats/breakdown?site=x.example&dimension=page'];
  const forms: [string, string, string][] = [
    ['to past 2106-02-07', 'to=2200-01-01', 'to'],
    ['to in year 0', 'to=0000-01-01', 'to'],
    ['to in year 9999', 'to=9999-12-31', 'to'],
    ['to the day DateTime ends', 'to=2106-02-07', 'to'],
    ['to as a datetime past the end', 'to=2106-02-07T06:28:15Z', 'to'],
    ['from in year 0', 'from=0000-01-01&to=2026-03-01', 'from'],
    ['from before 1970', 'from=1969-12-31T23:59:59Z&to=1970-01-02', 'from'],
    ['from and to in year 9999', 'from=9999-12-30&to=9999-12-31', 'to'],
    ['from after to', 'from=2026-03-05&to=2026-03-01', 'from'],
    ['from after to, far in the future', 'from=2106-02-06&to=2106-01-01', 'from'],
  ];
  for (const route of routes) {
    it.each(forms)(`${route.split('?')[0]}: %s → 400 TKM_INVALID_QUERY naming the parameter, promptly`, async (_name, params, name) => {
      const { app, calls } = await setup();
      const started = performance.now();
      const response = await app.inject({ method: 'GET', url: `${route}&${params}` });
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorJson>().error.code).toBe('TKM_INVALID_QUERY');
      expect(response.json<ErrorJson>().error.message).toMatch(new RegExp(`^${name} `));
      expect(calls).toHaveLength(0);
    });
  }

  it('accepts the last day ClickHouse can hold whole and the first one', async () => {
    const { app } = await setup();
    for (const params of ['from=2106-02-01&to=2106-02-06', 'from=1970-01-01&to=1970-01-01', 'to=1970-01-03', 'from=2106-02-06T00:00:00Z&to=2106-02-07T00:00:00Z']) {
      expect((await app.inject({ method: 'GET', url: `/api/stats/timeseries?site=x.example&${params}` })).statusCode, params).toBe(200);
    }
  });

  it('stops the previous period of compare=previous at 1970', async () => {
    const { app, calls } = await setup();
    const response = await app.inject({ method: 'GET', url: '/api/stats/summary?site=x.example&from=1970-01-02&to=1970-01-05&compare=previous' });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ previous: { from: string } }>().previous.from).toBe('1970-01-01T00:00:00.000Z');
    expect(calls.map((c) => c.query_params.from)).toContain('1970-01-01 00:00:00');
  });
});

describe('timeseries bucket cap', () => {
  it(`answers ${MAX_BUCKETS.hour} hourly buckets and refuses one more, naming the cap`, async () => {
    const { app, calls } = await setup();
    const ok = await app.inject({ method: 'GET', url: '/api/stats/timeseries?site=x.example&interval=hour&from=2026-01-01&to=2026-02-01' });
    expect(ok.statusCode).toBe(200); // 32 days: a month of 31 plus a day
    const started = performance.now();
    const refused = await app.inject({ method: 'GET', url: '/api/stats/timeseries?site=x.example&interval=hour&from=2026-01-01&to=2026-02-02T00:00:01Z' });
    expect(performance.now() - started).toBeLessThan(PROMPT_MS);
    expect(refused.statusCode).toBe(400);
    expect(refused.json<ErrorJson>().error).toEqual({
      code: 'TKM_INVALID_QUERY', message: 'interval=hour allows at most 768 buckets, this range has 769: ask for a shorter range or interval=day',
    });
    expect(calls.length).toBeGreaterThan(0);
    const before = calls.length;
    expect((await app.inject({ method: 'GET', url: '/api/stats/timeseries?site=x.example&interval=hour&from=2024-01-01&to=2026-03-01' })).statusCode).toBe(400);
    expect(calls).toHaveLength(before);
  });

  it('counts a partial first bucket', () => {
    const range = parseRange({ from: '2026-01-01T00:30:00Z', to: '2026-02-02T00:30:00Z' }, NOW); // 32 days, 769 clock hours
    expect(() => assertBuckets(range, 'hour')).toThrow(/this range has 769/);
    expect(() => assertBuckets(range, 'day')).not.toThrow();
  });

  it('caps daily buckets at what the longest range touches', () => {
    const longest = parseRange({ from: '2024-01-01T12:00:00Z', to: '2026-03-11T12:00:00Z' }, NOW); // 800 days, 801 UTC days
    expect(() => assertBuckets(longest, 'day')).not.toThrow();
    let error: unknown;
    try {
      assertBuckets({ from: new Date('2024-01-01T00:00:00Z'), to: new Date('2026-03-13T00:00:00Z') }, 'day');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokumeiError);
    expect((error as TokumeiError).message).toBe('interval=day allows at most 801 buckets, this range has 802: ask for a shorter range');
  });
});

describe('every query carries the limits', () => {
  it('in its own SETTINGS clause (never as session settings), with the time left in the request', async () => {
    const { app, calls } = await setup(async () => {
      // Each query takes time, so the request's budget visibly shrinks from one query to the next.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return [];
    });
    for (const url of ['/api/stats/summary?site=a&from=2026-03-01&to=2026-03-02&compare=previous', '/api/stats/timeseries?site=a&interval=hour',
      '/api/stats/breakdown?site=a&dimension=entry_page', '/api/stats/realtime?site=a', '/api/stats/sites']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    expect(calls.length).toBeGreaterThanOrEqual(8);
    for (const call of calls) {
      expect(call.clickhouse_settings).toBeUndefined();
      expect(call.query).toMatch(new RegExp(`\\sSETTINGS max_execution_time = [0-9.]+, timeout_overflow_mode = 'throw',\\s+max_memory_usage = ${DEFAULT_LIMITS.memoryBytes}, max_result_rows = 5000, result_overflow_mode = 'throw'$`));
      const seconds = Number(/max_execution_time = ([0-9.]+)/.exec(call.query)?.[1]);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(DEFAULT_LIMITS.requestMs / 1000);
    }
    // Queries of one request share its budget: the later ones get less time.
    const before = calls.length;
    expect((await app.inject({ method: 'GET', url: '/api/stats/breakdown?site=a&dimension=page&from=2026-03-01&to=2026-03-02' })).statusCode).toBe(200);
    const [first, second] = calls.slice(before).map((c) => Number(/max_execution_time = ([0-9.]+)/.exec(c.query)?.[1]));
    expect(second).toBeLessThanOrEqual((first ?? 0) - 0.025);
  });

  it('refuses to start a query once the request has used its time: 503 TKM_QUERY_LIMIT', async () => {
    const { app, calls } = await setup(async () => {
      // Longer than the request's whole budget: the time itself is what this test is about.
      await new Promise((resolve) => setTimeout(resolve, 120));
      return [];
    }, { requestMs: 100 });
    const response = await app.inject({ method: 'GET', url: '/api/stats/summary?site=a&from=2026-03-01&to=2026-03-02' });
    expect(response.statusCode).toBe(503);
    expect(response.json<ErrorJson>().error.code).toBe('TKM_QUERY_LIMIT');
    expect(response.headers['retry-after']).toBe('1');
    expect(calls).toHaveLength(1); // the rolled-days lookup used it all; the statistics query never ran
  });
});

describe('store failures', () => {
  const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });
  it.each([
    ['a refused connection', nodeError('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.10:8123'), 'TKM_STORE_UNAVAILABLE'],
    ['a reset connection', nodeError('ECONNRESET', 'read ECONNRESET'), 'TKM_STORE_UNAVAILABLE'],
    ['an unresolvable host', nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND clickhouse.example.com'), 'TKM_STORE_UNAVAILABLE'],
    ["the client's request timeout", new Error('Timeout error.'), 'TKM_STORE_UNAVAILABLE'],
    ['a closed socket', new Error('socket hang up'), 'TKM_STORE_UNAVAILABLE'],
    ['a closed chDB session', new Error('ChdbConnection is closed'), 'TKM_STORE_UNAVAILABLE'],
    ['a server with too many queries', clickHouseError('TOO_MANY_SIMULTANEOUS_QUERIES', '202', 'Too many simultaneous queries. Maximum: 100'), 'TKM_STORE_UNAVAILABLE'],
    ['a query over its time', clickHouseError('TIMEOUT_EXCEEDED', '159', 'Timeout exceeded: elapsed 4001.2 ms, maximum: 4000 ms'), 'TKM_QUERY_LIMIT'],
    ['a query over its memory', clickHouseError('MEMORY_LIMIT_EXCEEDED', '241', 'Query memory limit exceeded: would use 256.10 MiB'), 'TKM_QUERY_LIMIT'],
    ['a query over its rows', clickHouseError('TOO_MANY_ROWS_OR_BYTES', '396', 'Limit for result exceeded, max rows: 5.00 thousand'), 'TKM_QUERY_LIMIT'],
  ])('%s → 503 %s with Retry-After, logged, not leaked', async (_name, error, code) => {
    const { app, logs } = await setup(() => Promise.reject(error));
    const started = performance.now();
    for (const url of ['/api/stats/summary?site=a', '/api/stats/timeseries?site=a', '/api/stats/breakdown?site=a&dimension=page', '/api/stats/sites', '/api/audit']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['retry-after'], url).toBe('1');
      expect(response.json<ErrorJson>().error.code, url).toBe(code);
      expect(response.body).not.toContain(error.message);
    }
    expect(performance.now() - started).toBeLessThan(PROMPT_MS);
    expect(logs.text()).toContain(error.message);
  });

  it('a query ClickHouse refuses for another reason is a bug: 500 TKM_INTERNAL, logged', async () => {
    const error = clickHouseError('SYNTAX_ERROR', '62', 'Syntax error: failed at position 12');
    const { app, logs } = await setup(() => Promise.reject(error));
    const response = await app.inject({ method: 'GET', url: '/api/stats/summary?site=a' });
    expect(response.statusCode).toBe(500);
    expect(response.json<ErrorJson>().error.code).toBe('TKM_INTERNAL');
    expect(response.headers['retry-after']).toBeUndefined();
    expect(logs.text()).toContain('Syntax error');
  });
});
