import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { quietLogs } from '../helpers/logs.js';
import { fuzz, type Random } from './budget.js';
import { HOSTILE, SAFE } from './inputs.js';

/**
 * Seeded fuzzing of the stats API's query strings through app.inject, against a ClickHouse stand-in that answers
 * every query with no rows (what an empty database returns). Whatever the query string: nothing throws, nothing
 * answers 5xx, and every error is a TKM_* JSON body.
 */
const SEED = 20_261_202;
const INPUTS = 20_000;
const BUDGET_MS = 8_000;
const NOW = Date.parse('2026-03-10T12:34:56Z');

const ROUTES = ['/api/stats/summary', '/api/stats/timeseries', '/api/stats/breakdown', '/api/stats/realtime', '/api/stats/sites', '/api/audit'];
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

/** Percent-encodes every byte of the UTF-8 text (encodeURIComponent throws on a lone surrogate). */
function percent(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`)).join('');
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
    console.info(`fuzz stats API: ${String(ran)} query strings, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, BUDGET_MS + 60_000);
});
