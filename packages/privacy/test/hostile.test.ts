import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySaltStore, Pseudonymizer, loadCountryLookup, type EventRow } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, type RawRecord } from '@tokumei/schema';
import { ENCODINGS, encode, encoding, reveals, secret, type Encoding, type Secret } from './hostile.js';

/**
 * The engine's promise on hostile input: personal data of every family, in every field, under every encoding, is
 * readable in no stored value, however the stored value is decoded (hostile.ts decodes independently of the engine).
 */
const NOW = Date.parse('2026-03-10T12:00:00Z');
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export const FIELDS = [
  'path', 'path-embedded', 'path-split', 'after-key', 'utm_source', 'utm_campaign', 'utm_content', 'ref', 'source',
  'other-query', 'fragment', 'referrer-path', 'referrer-query', 'referrer-label', 'host-label', 'site', 'event', 'lang',
  'ua-version',
] as const;
export type Field = (typeof FIELDS)[number];

/** A DNS label spelling of the secret, as reverse DNS and personal subdomains write them. */
function label(s: Secret): string {
  if (s.family === 'email') return s.needle.replace('@', '-at-').replace(/\./g, '-');
  if (s.family === 'ip') return s.text.replace(/[.:]/g, '-');
  return s.text.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').toLowerCase();
}

/** A raw record carrying the secret in one field, encoded one way. */
export function hostileRecord(s: Secret, field: Field, how: Encoding): RawRecord {
  const e = encode(s.text, how);
  const base: RawRecord = {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW, site: 'example.com', url: 'https://example.com/blog/post',
    sid: 'sid-0123456789abcdef', event: 'pageview', w: 1280, lang: 'ja-JP', ip: '198.51.100.7', ua: UA, dnt: false, gpc: false,
  };
  switch (field) {
    case 'path': return { ...base, url: `https://example.com/thanks/${e}` };
    case 'path-embedded': return { ...base, url: `https://example.com/info-${e}-page/x` };
    case 'path-split': return { ...base, url: `https://example.com/tel/${e.replace(/%2F|[-_. ]|%20|%E3%83%BC/gi, '/')}` };
    case 'after-key': return { ...base, url: `https://example.com/users/${e}/profile` };
    case 'utm_source': case 'utm_campaign': case 'utm_content': case 'ref': case 'source':
      return { ...base, url: `https://example.com/landing?${field}=${e}` };
    case 'other-query': return { ...base, url: `https://example.com/landing?name=${e}&utm_source=news` };
    case 'fragment': return { ...base, url: `https://example.com/landing#${e}` };
    case 'referrer-path': return { ...base, ref: `https://search.example.org/${e}` };
    case 'referrer-query': return { ...base, ref: `https://search.example.org/?q=${e}` };
    case 'referrer-label': return { ...base, ref: `https://${label(s)}.example.net/` };
    case 'host-label': return { ...base, url: `https://${label(s)}.example.com/` };
    case 'site': return { ...base, site: `${label(s)}.example.com` };
    case 'event': return { ...base, event: s.text.slice(0, 64) };
    case 'lang': return { ...base, lang: `ja-JP-x-${s.text}`.slice(0, 35) };
    case 'ua-version': return { ...base, ua: UA.replace('131.0.0.0', s.text) };
  }
}

const STRING_COLUMNS: readonly (keyof EventRow)[] = [
  'site', 'event', 'host', 'path', 'query', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term',
  'utm_content', 'browser', 'browser_version', 'os', 'os_version', 'device', 'screen', 'country', 'lang', 'src',
];

function leaks(row: EventRow, s: Secret): string[] {
  return STRING_COLUMNS.filter((column) => reveals(String(row[column]), s)).map((column) => `${column}=${JSON.stringify(row[column])}`);
}

const pseudonymizer = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'ignore' }, loadCountryLookup());

describe('hostile input: personal data in every field, under every encoding', () => {
  it('reveals nothing for three samples of every family × encoding × field (deterministic matrix)', async () => {
    const samples = fc.sample(secret, { numRuns: 400, seed: 20261201 });
    const byFamily = new Map<string, Secret[]>();
    for (const s of samples) byFamily.set(s.family, [...(byFamily.get(s.family) ?? []), s].slice(0, 3));
    expect(byFamily.size).toBe(11);
    const failures: string[] = [];
    let stored = 0;
    for (const group of byFamily.values()) {
      for (const s of group) {
        for (const how of ENCODINGS) {
          for (const field of FIELDS) {
            const result = await pseudonymizer.process(hostileRecord(s, field, how));
            if (result.kind !== 'ok') continue;
            stored++;
            const found = leaks(result.row, s);
            if (found.length > 0) failures.push(`${s.family} ${JSON.stringify(s.text)} in ${field} (${how}): ${found.join(', ')}`);
          }
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    // Most records are stored (with placeholders): the engine removes the data, not the page view.
    expect(stored).toBeGreaterThan(1500);
  }, 120_000);

  it('reveals nothing for random secrets, fields and encodings (property)', async () => {
    await fc.assert(fc.asyncProperty(secret, fc.constantFrom(...FIELDS), encoding, async (s, field, how) => {
      const result = await pseudonymizer.process(hostileRecord(s, field, how));
      if (result.kind === 'ok') expect(leaks(result.row, s)).toEqual([]);
    }), { numRuns: 3000, seed: 7 });
  }, 120_000);

  it('never stores the IP, the user agent or the sid', async () => {
    await fc.assert(fc.asyncProperty(secret, fc.constantFrom(...FIELDS), encoding, async (s, field, how) => {
      const record = hostileRecord(s, field, how);
      const result = await pseudonymizer.process(record);
      if (result.kind !== 'ok') return;
      const text = JSON.stringify(result.row);
      expect(text).not.toContain(record.ip);
      expect(text).not.toContain(record.sid);
      expect(text).not.toContain('Mozilla');
    }), { numRuns: 500, seed: 11 });
  }, 60_000);
});
