import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConsentPolicy } from '@tokumei/config';
import { MemorySaltStore, Pseudonymizer, loadCountryLookup, type EventRow } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, type RawRecord } from '@tokumei/schema';

/**
 * Property: whatever a client sends, and wherever in the URL it hides the identifiers, no stored field contains the
 * IP, the user agent, the sid or anything shaped like an e-mail address. Random inputs, not hand-picked ones.
 */
const NOW = Date.parse('2026-03-10T12:00:00Z');
const EMAIL_SHAPE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 })
  .map((groups) => `2001:db8:${groups.map((g) => g.toString(16)).join(':')}`);
const ip = fc.oneof(ipv4, ipv6);

const word = fc.stringMatching(/^[a-z]{1,10}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{0,15}$/), word, fc.constantFrom('com', 'org', 'example', 'co.jp'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
/** What trackers and frameworks put in sids: random hex, base36 or UUIDs, with at least one letter and digit. */
const sid = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{16,32}$/),
  fc.stringMatching(/^[0-9a-z]{20,32}$/),
  fc.uuid(),
).filter((s) => /[a-z]/.test(s) && /[0-9]/.test(s));
const userAgent = fc.tuple(fc.constantFrom(
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'curl/8.5.0',
), fc.string({ minLength: 0, maxLength: 12 })).map(([base, extra]) => `${base} ${extra}`.trim());

/** Percent-encodes some characters, or the whole string, the way links in e-mails and redirects do. */
const encodings = fc.constantFrom(
  (s: string) => s,
  (s: string) => encodeURIComponent(s),
  (s: string) => s.replace('@', '%40'),
  (s: string) => encodeURIComponent(encodeURIComponent(s)),
  (s: string) => s.toUpperCase(),
);

interface Secrets { ip: string; ua: string; sid: string; email: string }

const beacon = fc.record({
  ip, ua: userAgent, sid, email,
  site: fc.constantFrom('example.com', 'shop.example.com'),
  slug: fc.array(word, { minLength: 0, maxLength: 3 }),
  where: fc.constantFrom('path', 'query', 'allowed-query', 'fragment', 'referrer', 'nowhere'),
  leak: fc.constantFrom<(keyof Secrets)[]>(['email'], ['sid'], ['ip'], ['email', 'sid'], ['ip', 'email']),
  encode: encodings,
  dnt: fc.boolean(),
  gpc: fc.boolean(),
  w: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
  lang: fc.option(fc.constantFrom('en', 'ja-JP', 'de'), { nil: undefined }),
  offsetMs: fc.integer({ min: -86_400_000, max: 0 }),
}).map((b): { record: RawRecord; secrets: Secrets } => {
  const secrets: Secrets = { ip: b.ip, ua: b.ua, sid: b.sid, email: b.email };
  const hidden = b.leak.map((key) => b.encode(secrets[key]));
  const base = `https://${b.site}/${b.slug.join('/')}`;
  const url = {
    path: `${base}/${hidden.join('/')}`,
    query: `${base}?${hidden.map((h, i) => `p${i}=${h}`).join('&')}`,
    'allowed-query': `${base}?${hidden.map((h, i) => `${i === 0 ? 'utm_source' : 'ref'}=${h}`).join('&')}`,
    fragment: `${base}#${hidden.join('/')}`,
    referrer: base,
    nowhere: base,
  }[b.where];
  const ref = b.where === 'referrer' ? `https://search.example/${hidden.join('/')}?q=${hidden.join('+')}` : undefined;
  return {
    secrets,
    record: {
      v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW + b.offsetMs, site: b.site, url, ref, sid: b.sid, event: 'pageview',
      w: b.w, lang: b.lang, ip: b.ip, ua: b.ua, dnt: b.dnt, gpc: b.gpc,
    },
  };
});

function storedStrings(row: EventRow): string[] {
  return Object.values(row).map((value) => String(value));
}

describe('privacy properties (fast-check)', () => {
  for (const consentPolicy of ['count', 'ignore'] as ConsentPolicy[]) {
    it(`stores no IP, user agent, sid or e-mail for any beacon (consent policy ${consentPolicy})`, async () => {
      const pseudonymizer = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy }, loadCountryLookup());
      await fc.assert(fc.asyncProperty(beacon, async ({ record, secrets }) => {
        const result = await pseudonymizer.process(record);
        if (result.kind !== 'ok') return;
        for (const value of storedStrings(result.row)) {
          const lower = value.toLowerCase();
          expect(lower).not.toContain(secrets.ip.toLowerCase());
          expect(lower).not.toContain(secrets.sid.toLowerCase());
          expect(lower).not.toContain(secrets.email.toLowerCase());
          expect(value).not.toContain(secrets.ua);
          expect(value).not.toMatch(EMAIL_SHAPE);
        }
        // Hashes are 64-bit decimal numbers, nothing else.
        expect(result.row.session).toMatch(/^\d{1,20}$/);
        expect(result.row.visitor).toMatch(/^\d{1,20}$/);
      }), { numRuns: 2_000 });
    }, 60_000);
  }

  it('gives the same visitor two different hashes on two different days, and equal hashes within a day', async () => {
    const salts = new MemorySaltStore(() => NOW);
    const pseudonymizer = new Pseudonymizer(salts, { consentPolicy: 'ignore' });
    await fc.assert(fc.asyncProperty(beacon, fc.integer({ min: 0, max: 3_600_000 }), async ({ record }, later) => {
      const today = { ...record, ts: NOW };
      const sameDay = { ...record, ts: NOW - later };
      const yesterday = { ...record, ts: NOW - 86_400_000 };
      const [a, b, c] = await Promise.all([today, sameDay, yesterday].map((r) => pseudonymizer.process(r)));
      if (a?.kind !== 'ok' || b?.kind !== 'ok' || c?.kind !== 'ok') return;
      expect(b.row.visitor).toBe(a.row.visitor);
      expect(c.row.visitor).not.toBe(a.row.visitor);
      expect(c.row.session).not.toBe(a.row.session);
    }), { numRuns: 500 });
  }, 60_000);
});
