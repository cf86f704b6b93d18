import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUTO_EVENTS, MemorySaltStore, Pseudonymizer, judgeExtension, judgeTargetHost, scrubProps } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, type RawRecord } from '@tokumei/schema';
import { ENCODINGS, encode, reveals, secret } from './hostile.js';

/**
 * The automatic events' reserved properties: stored without an allow-list, but only as a host or an extension. The
 * adversary is a hostile page or a hand-made beacon that uses the reserved names to store text.
 */
const NOW = Date.parse('2026-03-10T12:00:00Z');
const NONE = new Map<string, ReadonlySet<string>>();
const { outbound, download, notFound } = AUTO_EVENTS;

describe('judgeTargetHost', () => {
  it.each([
    ['a host', 'www.example.com', 'www.example.com'],
    ['a subdomain', 'docs.example.org', 'docs.example.org'],
    ['an IDN, as the URL parser writes it', 'xn--r8jz45g.jp', 'xn--r8jz45g.jp'],
    ['an IDN top-level domain', 'example.xn--zckzah', 'example.xn--zckzah'],
    ['IPv4: counted, not kept', '198.51.100.7', ':ip'],
    ['IPv6: counted, not kept', '[2001:db8::1]', ':ip'],
    ['an e-mail address', 'jane@example.com', ':email'],
    ['userinfo', 'jane:secret@example.com', ':email'],
    ['userinfo without an at sign in reach', 'user:pw@', ':value'],
    ['a port', 'example.com:8080', ':value'],
    ['a path', 'example.com/users/jane', ':value'],
    ['a full URL', 'https://example.com/?q=1', ':value'],
    ['upper case (the tracker sends lower case)', 'Example.COM', ':value'],
    ['a single label', 'intranet', ':value'],
    ['a numeric top-level domain', 'example.123', ':value'],
    ['a phone number', '090-1234-5678', ':phone'],
    ['a phone number in a label', 'cdn-090-1234-5678.example.net', ':phone.example.net'],
    ['a phone number over labels', '090.1234.5678.example.net', ':phone.:phone.:phone.example.net'],
    ['an e-mail spelled in labels', 'jane-doe-at-gmail-com.example.org', ':email'],
    ['a token label', 'd1a2b3c4d5e6f7.cloudfront.net', ':token.cloudfront.net'],
    ['an honorific label', 'yamada-san.example.com', ':name.example.com'],
    ['an address label', 'chiyoda-ku.example.jp', ':address.example.jp'],
    ['a random label', 'x7kq9zvwpl3m.example.com', ':token.example.com'],
    ['an e-mail spelled with at', 'mail-at-gmail.example.com', ':email'],
    ['a label with many numerals', 'abc123def456.execute-api.us-east-1.amazonaws.com', ':value.execute-api.us-east-1.amazonaws.com'],
    ['a top-level domain that is also a word (ms)', '1drv.ms', '1drv.ms'],
    ['a punycode label, judged in Unicode', 'xn--eckwd4c7c.xn--zckzah', 'xn--eckwd4c7c.xn--zckzah'],
    ['a punycode honorific', `${domainToASCII('山田様.example.jp').split('.')[0] ?? ''}.example.jp`, ':name.example.jp'],
    ['what no rule sees: a bare name', 'taro-yamada.example.com', 'taro-yamada.example.com'],
    ['Japanese text', '山田太郎', ':value'],
    ['Japanese name', '山田様', ':name'],
    ['Unicode host not punycoded', '例え.jp', ':value'],
    ['full-width host', 'ｅｘａｍｐｌｅ．ｃｏｍ', ':value'],
    ['full-width e-mail', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', ':email'],
    ['percent-encoded dot', 'example%2ecom', ':value'],
    ['percent-encoded e-mail', 'jane%40example.com', ':email'],
    ['an invisible character', 'exa\u200Bmple.com', ':value'],
    ['a sentence', 'call me at nine', ':value'],
    ['too long', `${'a'.repeat(60)}.`.repeat(5) + 'com', ':value'],
    ['empty', '', ':value'],
  ])('%s: %j → %j', (_name, raw, stored) => {
    expect(judgeTargetHost(raw)).toBe(stored);
  });
});

describe('judgeExtension', () => {
  const plausibleDefaults = ['pdf', 'xlsx', 'docx', 'txt', 'rtf', 'csv', 'exe', 'key', 'pps', 'ppt', 'pptx', '7z', 'pkg', 'rar', 'gz',
    'zip', 'avi', 'mov', 'mp4', 'mpeg', 'wmv', 'midi', 'mp3', 'wav', 'wma', 'dmg'];

  it('keeps every extension of the default list and real ones (mime-db); any other word is :other', () => {
    // A bare word (`yamada`) was kept until only real extensions were (red team, leak 6): now it is `:other`.
    expect(judgeExtension('yamada')).toBe(':other');
    for (const ext of [...plausibleDefaults, 'epub', 'tar', 'h264', '001', 'ipynb']) expect(judgeExtension(ext), ext).toBe(ext);
  });

  it.each([
    ['a phone number', '09012345678', ':phone'],
    ['a local number (8 digits)', '12345678', ':phone'],
    ['a birth date', '19850214', ':value'],
    ['four digits', '1234', ':value'],
    ['upper case', 'PDF', ':value'],
    ['a dot', '.pdf', ':value'],
    ['too long', 'abcdefghi', ':value'],
    ['Japanese text', '山田', ':value'],
    ['full-width', 'ｐｄｆ', ':value'],
    ['full-width digits', '０９０１２３４５６７８', ':phone'],
    ['percent-encoded', '%70df', ':value'],
    ['an e-mail', 'j@e.jp', ':email'],
    ['empty', '', ':value'],
  ])('%s: %j → %j', (_name, raw, stored) => {
    expect(judgeExtension(raw)).toBe(stored);
  });
});

describe('scrubProps of the automatic events', () => {
  it('keeps the reserved key without an allow-list, for its own event only', () => {
    expect(scrubProps({ host: 'docs.example.org' }, 'example.com', NONE, outbound)).toEqual({ props: { host: 'docs.example.org' }, dropped: 0, replaced: 0 });
    expect(scrubProps({ ext: 'pdf' }, 'example.com', NONE, download)).toEqual({ props: { ext: 'pdf' }, dropped: 0, replaced: 0 });
    // The other event's key, any other key, another event, a name in another case, the 404 event: the allow-list's rule.
    expect(scrubProps({ ext: 'pdf', plan: 'pro' }, 'example.com', NONE, outbound).props).toEqual({});
    expect(scrubProps({ host: 'docs.example.org' }, 'example.com', NONE, download).props).toEqual({});
    expect(scrubProps({ host: 'docs.example.org' }, 'example.com', NONE, 'signup').props).toEqual({});
    expect(scrubProps({ host: 'docs.example.org' }, 'example.com', NONE, 'outbound_link:_click').props).toEqual({});
    expect(scrubProps({ path: '/missing' }, 'example.com', NONE, notFound).props).toEqual({});
    expect(scrubProps({ host: 'docs.example.org' }, 'example.com', NONE).props).toEqual({});
  });

  it('judges the reserved key by its shape even where the site allow-lists it as an ordinary key', () => {
    const allow = new Map([['*', new Set(['host', 'plan'])]]);
    expect(scrubProps({ host: 'call me maybe', plan: 'pro' }, 'example.com', allow, outbound)).toEqual({ props: { host: ':value', plan: 'pro' }, dropped: 0, replaced: 1 });
    // On another event `host` is an ordinary allow-listed key: a short label passes there.
    expect(scrubProps({ host: 'call me' }, 'example.com', allow, 'signup').props).toEqual({ host: 'call me' });
  });

  it('counts a partly replaced host as replaced', () => {
    expect(scrubProps({ host: 'cdn-090-1234-5678.example.net' }, 'example.com', NONE, outbound)).toEqual({ props: { host: ':phone.example.net' }, dropped: 0, replaced: 1 });
  });

  it('reads the reserved value together with allow-listed ones: a number split between them is replaced', () => {
    const allow = new Map([['*', new Set(['a', 'b'])]]);
    // Four digits alone are no extension (`:value`), and read with the others they are a phone number.
    expect(scrubProps({ a: '090', b: '1234', ext: '5678' }, 'example.com', allow, download).props).toEqual({ a: ':phone', b: ':phone', ext: ':phone' });
    const split = scrubProps({ a: 'jane', b: '@', host: 'example.com' }, 'example.com', allow, outbound).props;
    expect(split).toEqual({ a: ':email', b: ':email', host: ':email' });
  });
});

describe('hostile reserved values: no kept value reveals personal data', () => {
  it('every family × every encoding, as a host and as an extension', () => {
    const samples = fc.sample(secret, { numRuns: 400, seed: 20261201 });
    const failures: string[] = [];
    for (const s of samples.slice(0, 120)) {
      for (const how of ENCODINGS) {
        const raw = encode(s.text, how);
        for (const [event, key] of [[outbound, 'host'], [download, 'ext']] as const) {
          // As it is, and dressed as a host name (labels of it under a real domain).
          const dressed = key === 'host' ? `${raw.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.example.com` : raw;
          for (const value of [raw, dressed]) {
            const stored = scrubProps({ [key]: value }, 'example.com', NONE, event).props[key] ?? '';
            if (reveals(stored, s)) failures.push(`${s.family} ${JSON.stringify(s.text)} (${how}) as ${key} ${JSON.stringify(value)}: ${JSON.stringify(stored)}`);
          }
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  }, 30_000);

  it('a stored host is always a clean host or carries a placeholder; a stored extension is 1-8 of a-z 0-9 or a placeholder (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 20 }), (ascii, unicode) => {
      for (const raw of [ascii, unicode, ascii.toLowerCase(), `${ascii}.example.com`]) {
        const host = judgeTargetHost(raw);
        if (!(host === raw || /(^|\.):[a-z]+(\.|$)/.test(host))) return false;
        const ext = judgeExtension(raw);
        if (!(/^[a-z0-9]{1,8}$/.test(ext) && ext === raw) && !/^:[a-z]+$/.test(ext)) return false;
      }
      return true;
    }), { numRuns: 400, seed: 1201 });
  }, 30_000);
});

describe('the pseudonymizer', () => {
  const record = (over: Partial<RawRecord>): RawRecord => ({
    v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW, site: 'example.com', url: 'https://example.com/docs', event: 'pageview',
    ip: '203.0.113.9', ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', dnt: false, gpc: false, ...over,
  });

  it('stores the reserved props with the default (empty) allow-list, and nothing else', async () => {
    const p = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'ignore' });
    const click = await p.process(record({ event: outbound, props: { host: 'docs.example.org', url: 'https://docs.example.org/a?b=c' } }));
    expect(click.kind === 'ok' && [click.row.event, click.row.props, click.props]).toEqual([outbound, { host: 'docs.example.org' }, { kept: 1, dropped: 1, replaced: 0 }]);
    const file = await p.process(record({ event: download, props: { ext: 'pdf' } }));
    expect(file.kind === 'ok' && file.row.props).toEqual({ ext: 'pdf' });
    const missing = await p.process(record({ event: notFound, url: 'https://example.com/no/such/page' }));
    expect(missing.kind === 'ok' && [missing.row.event, missing.row.path, missing.row.props]).toEqual([notFound, '/no/such/page', {}]);
  });
});
