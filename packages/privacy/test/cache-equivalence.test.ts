import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { cleanUrl, displayForm, isSpecialPurpose, matchForm, referrerHost, scrubEvent, scrubHost, utcDay } from '@tokumei/privacy';

/**
 * The engine remembers decisions for values that repeat (clean event names, clean paths, plain parameter names, day
 * names): a remembered answer must be the answer the rules give. Each random input is judged cold (first sight), then
 * again from the caches, and both must agree; the day name and the documentation range are checked against what
 * they shortcut.
 */
const piece = fc.constantFrom('blog', 'users', 'profile', 'settings', 'jane.doe%40example.com', '090-1234-5678', '090',
  '1234', '5678', '2026-03-11', '%E5%B1%B1%E7%94%B0%E6%A7%98', '%8ER%93c', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'Kx7QpLmNoPqRsT',
  '550e8400-e29b-41d4-a716-446655440000', '@jane', '~taro', '', 'a+b', '%ZZ', '198.51.100.7', '千代田区1-1-1', 'page');
const segment = fc.oneof(piece, fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z0-9-]{1,20}$/));
const query = fc.array(fc.tuple(fc.constantFrom('utm_source', 'UTM_Medium', 'ref', 'gclid', 'utm%5Fcampaign', 'ｕｔｍ_term', 'q', 'a+b'), segment), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
const url = fc.tuple(fc.array(segment, { maxLength: 6 }), query)
  .map(([segments, q]) => `https://www.example.com/${segments.join('/')}${q}`);
const options = { queryAllowList: new Set(['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'ref']), pathIdKeys: new Set(['kunde']) };

describe('cached decisions equal the rules', () => {
  it('page URLs: cold and warm give the same host, path and query', () => {
    fc.assert(fc.property(url, (text) => {
      const cold = cleanUrl(text, options, 'example.com');
      const warm = cleanUrl(text, options, 'example.com');
      expect(warm).toEqual(cold);
    }), { numRuns: 2000 });
  });

  it('a parameter name of printable ASCII without % and + is its own canonical form (the shortcut in url.ts)', () => {
    const plain = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x25 && c !== 0x2b).map((c) => String.fromCharCode(c)), maxLength: 30 });
    fc.assert(fc.property(plain, (name) => {
      expect(matchForm(displayForm(name, true))).toBe(name);
    }), { numRuns: 3000 });
  });

  it('referrer hosts read without the URL parser are the hostname the parser reads', () => {
    // The referrer as it was judged before the shortcut: parsed, then its hostname judged.
    const parsed = (text: string, page: string): string => {
      try {
        const url = new URL(text);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
        // referrerHostOf (hosts.ts) on the parser's hostname.
        const bare = url.hostname.toLowerCase().replace(/^www\./, '');
        return bare === page.replace(/^www\./, '') ? '' : scrubHost(bare).slice(0, 253);
      } catch {
        return '';
      }
    };
    const char = fc.constantFrom('a', 'z', 'x', 'n', '0', '9', '-', '.', '..', ':', '@', '%41', '/', '\\', '?', '#', '\t', ' ', 'A', 'É', 'ｅ', '--', 'xn--', '0x', '_', '[', ']');
    const host = fc.array(char, { minLength: 0, maxLength: 16 }).map((c) => c.join(''));
    const referrer = fc.tuple(fc.constantFrom('https://', 'http://', 'HTTPS://', 'ftp://', 'https:/', 'https:///', ' https://'), host,
      fc.constantFrom('', '/', '/path?q=1', '?x', '#f', '\\p', ':8080/', '.', '/%ZZ\t'))
      .map(([scheme, h, rest]) => `${scheme}${h}${rest}`);
    fc.assert(fc.property(referrer, fc.constantFrom('example.com', 'www.example.com'), (text, page) => {
      expect(referrerHost(text, page)).toBe(parsed(text, page));
    }), { numRuns: 5000 });
    for (const text of ['https://www.google.com/', 'https://t.co/abc', 'http://a-b--c.example.com?x', 'https://1.2.3.4/', 'https://0x7f.1/', 'https://xn--r8jz45g.jp/', 'https://ab--cd.example/']) {
      expect(referrerHost(text, 'example.com')).toBe(parsed(text, 'example.com'));
    }
  });

  it('event names: cold and warm give the same name', () => {
    fc.assert(fc.property(fc.oneof(piece, fc.string({ maxLength: 40 }), fc.array(piece, { maxLength: 4 }).map((p) => p.join('_'))), (name) => {
      const cold = scrubEvent(name);
      expect(scrubEvent(name)).toBe(cold);
    }), { numRuns: 2000 });
  });

  it('day names are the ISO date of the time', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 8_640_000_000_000_000 }), (ms) => {
      expect(utcDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
      expect(utcDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }), { numRuns: 2000 });
    expect(() => utcDay(8_640_000_000_000_001)).toThrow(RangeError);
  });

  it('IPv4 special-purpose ranges: the same answer as the registry comparison geo.ts made before', () => {
    const special = ([['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
      ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
      ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const).map(([net, bits]) => [net.split('.').reduce((a, o) => a * 256 + Number(o), 0), bits] as const);
    const before = (octets: readonly number[]): boolean => {
      const value = octets.reduce((acc, octet) => acc * 256 + octet, 0);
      return special.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
    };
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom(0, 10, 100, 127, 169, 172, 192, 198, 203, 224, 240, 255));
    fc.assert(fc.property(fc.array(octet, { minLength: 4, maxLength: 4 }), fc.boolean(), (octets, mapped) => {
      expect(isSpecialPurpose(`${mapped ? '::ffff:' : ''}${octets.join('.')}`)).toBe(before(octets));
    }), { numRuns: 5000 });
  });

  it('2001:db8::/32 is special-purpose, as ipaddr.js says', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(fc.property(fc.array(group, { minLength: 6, maxLength: 6 }), (groups) => {
      const ip = `2001:db8:${groups.join(':')}`;
      expect(ipaddr.parse(ip).range()).not.toBe('unicast');
      expect(isSpecialPurpose(ip)).toBe(true);
    }), { numRuns: 500 });
  });
});
