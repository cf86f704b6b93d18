import { describe, it, expect } from 'vitest';
import type { ConsentPolicy } from '@tokumei/config';
import { MemorySaltStore, pseudonymize, type EventRow, type SaltStore, type StepResult } from '@tokumei/privacy';
import { EVENTS_TABLE } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, type RawRecord } from '@tokumei/schema';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const IP = '203.0.113.7';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 TkmCanary/1.0';
const SID = 'sid-secret-123';
const QUERY = 'email=jane%40example.com&token=abc123';
const FRAGMENT = 'section-private';

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW, site: 'example.com',
    url: `https://example.com/docs/page?${QUERY}#${FRAGMENT}`,
    ref: 'https://www.search.example/results?q=jane+doe#frag', sid: SID, event: 'pageview',
    w: 1280, lang: 'en', ip: IP, ua: UA, dnt: false, gpc: false,
    ...overrides,
  };
}

function salts(): SaltStore {
  return new MemorySaltStore(() => NOW);
}

async function run(input: RawRecord, consentPolicy: ConsentPolicy = 'count', store: SaltStore = salts()): Promise<StepResult> {
  return pseudonymize(input, store, { consentPolicy });
}

async function rowOf(input: RawRecord, consentPolicy: ConsentPolicy = 'count', store: SaltStore = salts()): Promise<EventRow> {
  const result = await run(input, consentPolicy, store);
  if (result.kind !== 'ok') throw new Error(`expected a row, got ${JSON.stringify(result)}`);
  return result.row;
}

describe('pseudonymize: what is kept', () => {
  it('keeps site, event, source, path, seconds and the referrer host', async () => {
    const row = await rowOf(record({ ts: NOW + 999 }));
    expect(row).toMatchObject({
      site: 'example.com', event: 'pageview', src: 'beacon', path: '/docs/page',
      referrer_host: 'search.example', ts: NOW / 1000,
    });
    // The row carries exactly the columns the field policy declares: nothing undeclared can reach ClickHouse.
    expect(Object.keys(row).sort()).toEqual(EVENTS_TABLE.columns.map((c) => c.name).sort());
  });

  it('gives session and visitor hashes as non-zero decimal strings', async () => {
    const row = await rowOf(record());
    expect(row.session).toMatch(/^[1-9]\d*$/);
    expect(row.visitor).toMatch(/^[1-9]\d*$/);
    expect(row.session).not.toBe(row.visitor);
  });

  it('has no session hash without a sid, but still a visitor hash', async () => {
    const row = await rowOf(record({ sid: undefined }));
    expect(row.session).toBe('0');
    expect(row.visitor).not.toBe('0');
  });

  it('keeps only the host of referrers, and nothing of unparseable ones', async () => {
    expect((await rowOf(record({ ref: 'https://user:pw@news.example:8443/a/b?c=d' }))).referrer_host).toBe('news.example');
    expect((await rowOf(record({ ref: 'jane@example.com' }))).referrer_host).toBe('');
    expect((await rowOf(record({ ref: undefined }))).referrer_host).toBe('');
  });
});

describe('pseudonymize: what is dropped', () => {
  it('leaves no IP, user agent, sid, query string or fragment in any field', async () => {
    const row = await rowOf(record());
    const text = JSON.stringify(row);
    for (const secret of [IP, UA, 'TkmCanary', SID, QUERY, 'email', 'jane', 'token', FRAGMENT, '?', '#']) {
      expect(text).not.toContain(secret);
    }
  });

  it('does not leak the sid or IP through the hashes (same under another salt → different)', async () => {
    const a = await rowOf(record(), 'count', salts());
    const b = await rowOf(record(), 'count', salts());
    expect(a.session).not.toBe(b.session);
    expect(a.visitor).not.toBe(b.visitor);
  });
});

describe('pseudonymize: hashes', () => {
  it('is stable within a day for the same client and session', async () => {
    const store = salts();
    const a = await rowOf(record(), 'count', store);
    const b = await rowOf(record({ ts: NOW + 60_000, url: 'https://example.com/other' }), 'count', store);
    expect(b.session).toBe(a.session);
    expect(b.visitor).toBe(a.visitor);
  });

  it('distinguishes clients, sessions and sites', async () => {
    const store = salts();
    const base = await rowOf(record(), 'count', store);
    expect((await rowOf(record({ ip: '203.0.113.8' }), 'count', store)).visitor).not.toBe(base.visitor);
    expect((await rowOf(record({ ua: `${UA} x` }), 'count', store)).visitor).not.toBe(base.visitor);
    expect((await rowOf(record({ sid: 'another' }), 'count', store)).session).not.toBe(base.session);
    const otherSite = await rowOf(record({ site: 'other.example' }), 'count', store);
    expect(otherSite.session).not.toBe(base.session);
    expect(otherSite.visitor).not.toBe(base.visitor);
  });

  it('uses a different salt on a different day', async () => {
    const store = salts();
    const today = await rowOf(record(), 'count', store);
    const yesterday = await rowOf(record({ ts: NOW - 86_400_000 }), 'count', store);
    expect(yesterday.visitor).not.toBe('0');
    expect(yesterday.visitor).not.toBe(today.visitor);
  });

  it('stores a record whose day has no salt any more with no session or visitor', async () => {
    const old = record({ ts: NOW - 2 * 86_400_000 });
    const row = await rowOf(old);
    expect(row.session).toBe('0');
    expect(row.visitor).toBe('0');
    expect(row.ts).toBe(Math.floor(old.ts / 1000));
  });
});

describe('pseudonymize: consent signals', () => {
  const signals = [{ dnt: true, gpc: false }, { dnt: false, gpc: true }, { dnt: true, gpc: true }];

  it.each(signals)('count: keeps the page view without hashes (%o)', async (signal) => {
    const row = await rowOf(record(signal), 'count');
    expect(row.path).toBe('/docs/page');
    expect(row.session).toBe('0');
    expect(row.visitor).toBe('0');
  });

  it.each(signals)('drop: drops the record (%o)', async (signal) => {
    expect(await run(record(signal), 'drop')).toEqual({ kind: 'drop', reason: 'consent' });
  });

  it.each(signals)('ignore: hashes as if nothing was sent (%o)', async (signal) => {
    const store = salts();
    const signalled = await rowOf(record(signal), 'ignore', store);
    const plain = await rowOf(record(), 'ignore', store);
    expect(signalled.session).toBe(plain.session);
    expect(signalled.visitor).toBe(plain.visitor);
    expect(signalled.visitor).not.toBe('0');
  });

  it.each(['count', 'drop', 'ignore'] as const)('%s: without a signal, hashes as usual', async (policy) => {
    const row = await rowOf(record(), policy);
    expect(row.session).not.toBe('0');
    expect(row.visitor).not.toBe('0');
  });
});

describe('pseudonymize: bad URLs', () => {
  it.each(['not a url', 'ftp://example.com/file', 'javascript:alert(1)', '/relative/path'])('drops %j as bad_url', async (url) => {
    expect(await run(record({ url }))).toEqual({ kind: 'drop', reason: 'bad_url' });
  });
});

describe('pseudonymize: personal data in the path', () => {
  it('replaces an e-mail address in a path segment', async () => {
    const row = await rowOf(record({ url: 'https://example.com/users/jane@example.com/profile' }));
    expect(row.path).toBe('/users/:email/profile');
  });

  it('replaces a UUID in a path segment', async () => {
    const row = await rowOf(record({ url: 'https://example.com/orders/3f2b8c1e-9a4d-4e2b-8f3a-1c2d3e4f5a6b' }));
    expect(row.path).toBe('/orders/:id');
  });
});
