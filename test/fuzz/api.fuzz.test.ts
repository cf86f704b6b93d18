import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { parse as parseQueryString } from 'fast-querystring';
import { MAX_BUCKETS, assertBuckets, buildApiApp, parseRange, type ApiApp } from '@tokumei/api';
import { isTokumeiError } from '@tokumei/errors';
import { Registry } from 'prom-client';
import { quietLogs } from '../helpers/logs.js';
import { fuzz, type Random } from './budget.js';
import { HOSTILE, SAFE } from './inputs.js';

/**
 * Seeded fuzzing of the stats API's query strings, in two parts: every query string through the parsing the routes
 * rely on without HTTP (fastify's query-string parser, then the date range and bucket rules, where a bad date once
 * meant a 100-second query), which fits tens of thousands of inputs in seconds; and a sample through app.inject,
 * against a ClickHouse stand-in that answers every query with no rows (what an empty database returns). Whatever the
 * query string: nothing throws, nothing answers 5xx, and every error is a TKM_* JSON body.
 */
const SEED = 20_261_202;
/** Without HTTP: the time is a guard, not a budget; running out of it fails the test. */
const PURE_INPUTS = 25_000;
const PURE_MS = 60_000;
/** Through app.inject: a whole request each; a busy machine runs fewer. */
const INPUTS = 5_000;
const BUDGET_MS = 8_000;
/** What a range may cover: inside ClickHouse's DateTime, at most 800 days (packages/api/src/time-range.ts). */
const EARLIEST = Date.parse('1970-01-01T00:00:00Z');
const LATEST = Date.parse('2106-02-07T00:00:00Z');
const MAX_RANGE_MS = 800 * 86_400_000;
const NOW = Date.parse('2026-03-10T12:34:56Z');

const ROUTES = ['/api/stats/summary', '/api/stats/timeseries', '/api/stats/breakdown', '/api/stats/realtime', '/api/stats/sites', '/api/audit'];
const RANGE_ROUTES = ROUTES.slice(0, 3);
const OTHER_PATHS = ['/', '/healthz', '/metrics', '/api/stats/', '/api/stats/summary/', '/API/STATS/SUMMARY', '/%zz', '/api/%c0', '/api/stats/summary%00', '//api/stats/summary'];
const KEYS = ['site', 'from', 'to', 'interval', 'dimension', 'limit', 'compare', 'format', 'x', '', 'site[]', '__proto__', 'constructor'];
const VALUES: Record<string, readonly string[]> = {
  site: ['example.com', 'a', "x' OR 1=1 --", 'a'.repeat(100), 'a'.repeat(101), ''],
  from: ['2026-03-01', '2026-03-01T00:00:00Z', '2026-02-30', '2026-03-01T25:00:00Z', '0000-01-01', '9999-12-31', '2026-03-01T00:00:00.000+09:00', 'yesterday', '1e10'],
  to: ['2026-03-10', '2026-03-10T12:00:00Z', '2026-03-32', '2025-01-01', '2026-03-10T12:00:00.123456789Z'],
  interval: ['hour', 'day', 'week', 'HOUR', ''],
  dimension: ['page', 'entry_page', 'referrer', 'country', 'language', 'screen', 'nope', 'page; DROP TABLE events'],
  limit: ['1', '10', '1000', '1001', '0', '-1', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '99999999999999999999', ' 5', '5 '],
  compare: ['previous', 'next', ''],
  format: ['json', 'markdown', 'html'],
};

function value(random: Random, key: string): string {
  return random.weighted([
    [6, () => random.pick((Object.hasOwn(VALUES, key) ? VALUES[key] : VALUES.site) ?? [''])],
    [2, () => random.string(random.int(12), [...SAFE, ...HOSTILE])],
    [1, () => random.string(500 + random.int(3000), SAFE)],
  ]);
}

/** Each byte as it appears in a query string: unreserved characters as they are, the rest as %xx. */
const ESCAPED = Array.from({ length: 256 }, (_, byte) => {
  const char = String.fromCharCode(byte);
  return /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`;
});

/** Percent-encodes every byte of the UTF-8 text (encodeURIComponent throws on a lone surrogate). */
function percent(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += ESCAPED[byte] ?? '';
  return out;
}

/** One query string: known and unknown keys, repeated keys, raw and percent-encoded hostile text, broken escapes. */
function generate(random: Random): string {
  const path = random.chance(0.9) ? random.pick(ROUTES) : random.pick(OTHER_PATHS);
  const parts: string[] = [];
  if (random.chance(0.8)) parts.push(`site=${percent(value(random, 'site'))}`);
  for (let i = random.int(5); i > 0; i -= 1) {
    const key = random.pick(KEYS);
    const text = value(random, key);
    const encoded = random.weighted([
      [6, () => percent(text)],
      [1, () => text.replace(/[\s#&]/g, '')],
      [1, () => `${percent(text)}${random.pick(['%', '%z', '%zz', '%00', '%c0', '%ff', '+', '%2B', '&&', '=='])}`],
    ]);
    parts.push(random.chance(0.1) ? encoded : `${percent(key)}=${encoded}`);
  }
  return parts.length === 0 ? path : `${path}?${parts.join('&')}`;
}

const REFUSED: unique symbol = Symbol('refused');

/** One query parameter as the route's schema sees it: a string, or refused (a repeated key is an array). */
function single(value: unknown): string | undefined | typeof REFUSED {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length >= 10 && value.length <= 40 ? value : REFUSED;
}

/**
 * The query string of `url` as the range routes read it: refused (a 4xx, a TokumeiError with a 4xx status), or a
 * range inside the bounds every query relies on, and for a timeseries a bucket count within MAX_BUCKETS.
 */
function rangeOutcome(url: string): 'refused' | 'ranged' | 'other' {
  const at = url.indexOf('?');
  const path = at === -1 ? url : url.slice(0, at);
  if (!RANGE_ROUTES.includes(path)) return 'other';
  const query = parseQueryString(at === -1 ? '' : url.slice(at + 1)) as Record<string, unknown>;
  const from = single(query.from);
  const to = single(query.to);
  if (from === REFUSED || to === REFUSED) return 'refused';
  try {
    const range = parseRange({ from, to }, NOW);
    const [start, end] = [range.from.getTime(), range.to.getTime()];
    if (!(start >= EARLIEST && end <= LATEST && start < end && end - start <= MAX_RANGE_MS)) {
      throw new Error(`range out of bounds: ${range.from.toISOString()} – ${range.to.toISOString()}`);
    }
    if (path === '/api/stats/timeseries') {
      for (const interval of ['hour', 'day'] as const) {
        try {
          assertBuckets(range, interval);
          const step = interval === 'hour' ? 3_600_000 : 86_400_000;
          const buckets = Math.ceil((end - Math.floor(start / step) * step) / step);
          if (buckets > MAX_BUCKETS[interval]) throw new Error(`${String(buckets)} ${interval} buckets passed the cap`);
        } catch (error) {
          if (!isTokumeiError(error) || error.statusCode >= 500) throw error;
        }
      }
    }
    return 'ranged';
  } catch (error) {
    if (isTokumeiError(error) && error.statusCode >= 400 && error.statusCode < 500) return 'refused';
    throw error;
  }
}

let app: ApiApp;
const logs = quietLogs();
beforeAll(async () => {
  const clickhouse = {
    ping: () => Promise.resolve({ success: true }),
    query: () => Promise.resolve({ json: () => Promise.resolve([]) }),
  } as unknown as ClickHouseClient;
  app = await buildApiApp({ config: { apiToken: undefined, host: '127.0.0.1' }, clickhouse, logger: logs.logger, registry: new Registry(), clock: () => NOW });
});
afterAll(async () => {
  await app.close();
});

describe('fuzz: stats API query strings', () => {
  it(`${String(PURE_INPUTS)} seeded query strings through the query-string parser and the range rules: no throw, a 4xx or a bounded range`, async () => {
    const outcomes = new Map<string, number>();
    // Only the routes that read a range: the other paths are the HTTP part's.
    const ranged = (random: Random) => {
      for (;;) {
        const url = generate(random);
        if (RANGE_ROUTES.some((route) => url === route || url.startsWith(`${route}?`))) return url;
      }
    };
    const ran = await fuzz(ranged, { seed: SEED, inputs: PURE_INPUTS, ms: PURE_MS }, (url) => {
      const outcome = rangeOutcome(url);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    console.info(`fuzz stats API without HTTP: ${String(ran)} query strings, ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(ran, `only ${String(ran)} inputs in ${String(PURE_MS / 1000)} s`).toBe(PURE_INPUTS);
    expect(outcomes.get('ranged') ?? 0).toBeGreaterThan(ran / 10);
    expect(outcomes.get('refused') ?? 0).toBeGreaterThan(ran / 20);
  }, PURE_MS + 30_000);

  it(`${String(INPUTS)} seeded query strings (or ${String(BUDGET_MS / 1000)} s): no throw, no 5xx, TKM_* errors`, async () => {
    const statuses = new Map<number, number>();
    const ran = await fuzz(generate, { seed: SEED, inputs: INPUTS, ms: BUDGET_MS, concurrency: 64 }, async (url) => {
      const response = await app.inject({ method: 'GET', url });
      const status = response.statusCode;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) throw new Error(`answered ${String(status)}: ${response.body.slice(0, 300)}`);
      if (status >= 400) {
        const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
        if (typeof parsed.error?.code !== 'string' || !parsed.error.code.startsWith('TKM_') || typeof parsed.error.message !== 'string') {
          throw new Error(`error outside the TKM_* shape: ${response.body.slice(0, 200)}`);
        }
        // A bad query may be named, but the path itself is never echoed back.
        if (url.includes('%c0') || url.includes('%zz')) expect(response.body).not.toMatch(/%c0|%zz/);
      }
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(logs.text()).not.toContain('request failed');
    expect(ran).toBeGreaterThanOrEqual(Math.min(INPUTS, 1_000));
    expect(statuses.get(200) ?? 0).toBeGreaterThan(ran / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(ran / 10);
    console.info(`fuzz stats API over HTTP: ${String(ran)} query strings, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, BUDGET_MS + 60_000);
});
