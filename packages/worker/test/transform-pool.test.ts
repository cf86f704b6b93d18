import { afterAll, describe, expect, it } from 'vitest';
import { MemorySaltStore, Pseudonymizer, type SaltSource } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, encodeRawRecord, type RawRecord } from '@tokumei/schema';
import { TransformPool } from '../src/transform-pool.js';
import { transformBatch } from '../src/transform-batch.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const DAY = 86_400_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const OPTIONS = { consentPolicy: 'count' as const };

function record(i: number, overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    v: RAW_RECORD_VERSION, src: 'log', ts: NOW - (i % 3) * DAY + i, site: 'example.com', url: `https://example.com/p${i % 7}?utm_source=x&email=a@example.com`,
    sid: `s${i % 11}`, event: 'pageview', ip: `203.0.113.${i % 200}`, ua: i % 13 === 0 ? BOT : UA, dnt: false, gpc: false, run: 'a1b2c3d4e5f60718', ...overrides,
  };
}

const values = Array.from({ length: 500 }, (_, i) => encodeRawRecord(record(i)));
values.splice(17, 0, Buffer.from('{not json'));
const salts = new MemorySaltStore(() => NOW);
const pools: TransformPool[] = [];
afterAll(async () => Promise.all(pools.map((p) => p.close())));

// A thread compiles the privacy engine's TypeScript when it starts (the compiled CLI's threads do not).
describe('TransformPool', { timeout: 60_000 }, () => {
  it('gives, in threads, the rows, bots and counts the privacy engine gives on this thread, with the same salts', async () => {
    const inline = await transformBatch(new Pseudonymizer(salts, OPTIONS), values);
    for (const threads of [1, 3]) {
      const pool = TransformPool.start({ options: OPTIONS, geo: false, salts, threads });
      pools.push(pool);
      const output = await pool.transform(values);
      expect(Buffer.from(output.events).toString()).toBe(Buffer.from(inline.events).toString());
      expect(output.rows).toBe(inline.rows);
      expect(output.bots.sort((a, b) => a.day.localeCompare(b.day))).toEqual(inline.bots.sort((a, b) => a.day.localeCompare(b.day)));
      expect(output.results).toEqual(inline.results);
      expect(output.unreadable).toEqual([{ index: 17, reason: 'not JSON' }]);
    }
    expect(inline.rows).toBeGreaterThan(400);
    // Three days, each with its own run salt: the visitor hashes differ by day, never raw.
    const rows = Buffer.from(inline.events).toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(new Set(rows.map((r) => r.visitor)).size).toBeGreaterThan(3);
    expect(Buffer.from(inline.events).toString()).not.toContain('203.0.113.');
    expect(Buffer.from(inline.events).toString()).not.toContain('a@example.com');
  });

  it('asks the caller for salts on every batch: a salt the caller no longer gives is not used', async () => {
    let give = true;
    const source: SaltSource = { saltFor: (day, run) => (give ? salts.saltFor(day, run) : Promise.resolve(undefined)) };
    const pool = TransformPool.start({ options: OPTIONS, geo: false, salts: source, threads: 1 });
    pools.push(pool);
    const parse = (o: { events: Uint8Array }) => Buffer.from(o.events).toString().trim().split('\n').map((l) => JSON.parse(l) as { visitor: string });
    expect(parse(await pool.transform(values)).every((r) => r.visitor !== '0')).toBe(true);
    give = false;
    expect(parse(await pool.transform(values)).every((r) => r.visitor === '0')).toBe(true);
  });

  it('uses a prepared batch when the same records are asked for, and recomputes other records', async () => {
    const pool = TransformPool.start({ options: OPTIONS, geo: false, salts, threads: 2 });
    pools.push(pool);
    const first = values.slice(0, 100);
    const second = values.slice(100, 300);
    pool.prepare(second);
    const a = await pool.transform(first);
    const b = await pool.transform(second);
    const inline = new Pseudonymizer(salts, OPTIONS);
    expect(Buffer.from(a.events).toString()).toBe(Buffer.from((await transformBatch(inline, first)).events).toString());
    expect(Buffer.from(b.events).toString()).toBe(Buffer.from((await transformBatch(inline, second)).events).toString());
  });
});
