import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown, withUniquenessThreshold, type AuditReport } from '@tokumei/audit';
import { createLogger, type Config } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { BROWSER_UA, postBeacon, testConfig, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });

/** A small deterministic generator: realistic traffic is skewed (a few pages, one browser, one country dominate). */
function rng(seed: number): () => number {
  let s = seed;
  // mulberry32: integer arithmetic only, so the sequence is the same everywhere.
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function pick<T>(r: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((n, [, w]) => n + w, 0);
  let x = r() * total;
  for (const [item, w] of items) if ((x -= w) < 0) return item;
  return items[0]?.[0] ?? expect.fail('empty');
}

/** 1,500 page views of 300 visitors over one day, at second precision, as the worker stores them. */
function traffic(now: number): Record<string, unknown>[] {
  const r = rng(7);
  const pages = Array.from({ length: 40 }, (_, i) => [`/docs/page-${i}`, 1 / (i + 1)] as const);
  const rows: Record<string, unknown>[] = [];
  for (let v = 0; v < 300; v++) {
    const visitor = String(1_000_000 + v);
    const browser = pick(r, [['Chrome', 60], ['Safari', 25], ['Firefox', 10], ['Edge', 5]]);
    const os = pick(r, [['Windows', 40], ['iOS', 25], ['Mac OS', 20], ['Android', 15]]);
    const country = pick(r, [['JP', 90], ['US', 5], ['KR', 5]]);
    const screen = pick(r, [['desktop', 50], ['mobile', 40], ['tablet', 10]]);
    let ts = Math.floor(now / 1000) - 86_000 + Math.floor(r() * 80_000);
    for (let p = 0; p < 5; p++) {
      rows.push({ site: 'example.com', ts, event: 'pageview', host: 'example.com', path: pick(r, pages), session: visitor, visitor, browser, os, country, screen, src: 'beacon' });
      ts += 5 + Math.floor(r() * 120);
    }
  }
  return rows;
}

describe('audit: uniqueness and salt exposure', () => {
  let running: Running;
  let config: Config;
  let clean: AuditReport;

  beforeAll(async () => {
    config = testConfig();
    config = { ...config, logFile: path.join(config.dataDir, 'tokumei.log') };
    running = await startTokumei(config, logger);
    // One beacon through the worker, so today's salt exists and is in the register.
    expect(await postBeacon(running.urls.ingest ?? '', { site: 'example.org', url: 'https://example.org/', sid: 'tab-1' }, { 'user-agent': BROWSER_UA })).toBe(202);
    const client = running.store?.client ?? expect.fail('no store');
    await waitUntil(async () => (await (await client.query({ query: 'SELECT toString(count()) AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n, (n) => n === '1', 10_000);
    // A token of its own: the worker's inserts carry deduplication tokens, and a block of the same day could match.
    await client.insert({ table: 'events', values: traffic(Date.now()), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'audit-uniqueness-traffic' } });
    clean = await (running.audit ?? expect.fail('no audit')).run({ canary: false });
  });
  afterAll(async () => {
    await running.stop();
  });

  it('the attack: one known page view finds its row, and its visitor hash the visitor\'s whole day', async () => {
    const client = running.store?.client ?? expect.fail('no store');
    const [seen] = await (await client.query({ query: "SELECT toString(ts) AS ts, path, browser, os, country, screen FROM events WHERE site = 'example.com' ORDER BY ts LIMIT 1 OFFSET 700", format: 'JSONEachRow' })).json<Record<string, string>>();
    expect(seen).toBeDefined();
    const found = await (await client.query({
      query: "SELECT toString(visitor) AS visitor FROM events WHERE ts = toDateTime({ts:String}, 'UTC') AND path = {path:String} AND browser = {browser:String} AND os = {os:String} AND country = {country:String} AND screen = {screen:String}",
      query_params: seen ?? {}, format: 'JSONEachRow',
    })).json<{ visitor: string }>();
    expect(found).toHaveLength(1);
    const day = await (await client.query({ query: 'SELECT count() AS n FROM events WHERE visitor = {v:UInt64}', query_params: { v: found[0]?.visitor }, format: 'JSONEachRow' })).json<{ n: number }>();
    expect(Number(day[0]?.n)).toBe(5);
  });

  it('reports the share of unique rows at second, minute and hour precision, with a recommendation', () => {
    const m = clean.uniqueness ?? expect.fail('no measure');
    expect(m.rows).toBe(1501);
    const [second, minute, hour] = m.precisions;
    expect(second?.precision).toBe('second');
    expect(second?.share).toBeGreaterThan(0.95);
    expect(second?.linkableRows).toBe(second?.uniqueRows);
    expect(minute?.share).toBeLessThanOrEqual(second?.share ?? 0);
    expect(hour?.share).toBeLessThan(minute?.share ?? 0);
    const check = byId(clean, 'uniqueness');
    expect(check.status).toBe('pass');
    expect(check.evidence.join('\n')).toMatch(/recommendation: set TOKUMEI_TIME_PRECISION=(minute|hour)|recommendation: even at hour precision/);
    expect(renderMarkdown(clean)).toContain('## Uniqueness of page views');
  });

  it('fails only with a threshold, the same whether set in the audit or applied to a finished report', async () => {
    const strict = withUniquenessThreshold(clean, 0.5);
    expect(strict.passed).toBe(false);
    expect(byId(strict, 'uniqueness').findings[0]?.message).toMatch(/of events rows are unique .* above the configured 50\.0 %/);
    const again = await (running.audit ?? expect.fail('no audit')).run({ canary: false, maxUniqueShare: 0.5 });
    expect(byId(again, 'uniqueness').status).toBe('fail');
    expect(byId(withUniquenessThreshold(clean, 1), 'uniqueness').status).toBe('pass');
  });

  it('salt exposure: lifetimes and the re-link window from salt_log, and no salt outside the register', () => {
    const exposure = byId(clean, 'salt-exposure');
    expect(exposure.findings).toEqual([]);
    const text = exposure.evidence.join('\n');
    expect(text).toMatch(/longest salt lifetime \(creation to destruction\): [\d.]+ h/);
    expect(text).toMatch(/longest window in which the register could re-link hashes .*: [\d.]+ h/);
    expect(text).toMatch(/1 live salt\(s\) searched for .* in \d+ files under the data directory .*and the service log/);
  });

  it('salt exposure: names a backup copy of the register and a salt written into the log', async () => {
    const register = path.join(config.dataDir, 'salts.json');
    fs.copyFileSync(register, path.join(config.dataDir, 'salts.json.bak'));
    const [value] = Object.values(JSON.parse(fs.readFileSync(register, 'utf8')) as Record<string, string>);
    fs.appendFileSync(config.logFile ?? expect.fail('no log'), `{"msg":"debug","salt":"${Buffer.from(value ?? '', 'base64').subarray(8).toString('hex')}"}\n`);
    const report = await (running.audit ?? expect.fail('no audit')).run({ canary: false });
    const exposure = byId(report, 'salt-exposure');
    expect(exposure.status).toBe('fail');
    expect(exposure.findings.map((f) => f.location).sort()).toEqual([`file ${path.join(config.dataDir, 'salts.json.bak')}`, `file ${config.logFile}`]);
    expect(report.appi?.requirements.find((r) => r.rule === 'Art. 41(2); Rules Art. 32')?.status).toBe('not met');
    expect(JSON.stringify(report)).not.toContain(value);
  });
});
