import { describe, expect, it } from 'vitest';
import { checkSite, isSpecialPurpose, leadingInteger, loadCountryLookup, pageHost, reduceLang, referrerHost, scrubHost } from '@tokumei/privacy';

describe('special-purpose addresses are in no country', () => {
  const geo = loadCountryLookup();
  it.each([
    ['private 10/8', '10.1.2.3'], ['private 172.16/12', '172.16.0.1'], ['private 192.168/16', '192.168.1.1'], ['CGNAT 100.64/10', '100.64.0.1'],
    ['loopback', '127.0.0.1'], ['link-local', '169.254.1.1'], ['this network 0/8', '0.1.2.3'], ['IETF 192.0.0/24', '192.0.0.8'],
    ['TEST-NET-1', '192.0.2.1'], ['TEST-NET-2', '198.51.100.13'], ['TEST-NET-3', '203.0.113.5'], ['benchmarking 198.18/15', '198.19.0.1'],
    ['6to4 relay 192.88.99/24', '192.88.99.1'], ['multicast', '224.0.0.1'], ['reserved 240/4', '240.0.0.1'], ['broadcast', '255.255.255.255'],
    ['IPv6 documentation', '2001:db8::22'], ['IPv6 documentation 3fff::/20', '3fff:0:1::1'], ['IPv6 ULA', 'fc00::1'], ['IPv6 link-local', 'fe80::1'], ['IPv6 loopback', '::1'],
    ['IPv6 multicast', 'ff02::1'], ['IPv6 benchmarking', '2001:2::1'], ['IPv4-mapped documentation', '::ffff:198.51.100.1'],
    ['NAT64', '64:ff9b::c633:640d'], ['6to4', '2002:c633:640d::1'], ['Teredo', '2001::1'], ['discard-only', '100::1'],
  ])('%s (%s)', (_name, ip) => {
    expect(isSpecialPurpose(ip)).toBe(true);
    expect(geo.country(ip)).toBe('');
  });

  it('still looks up ordinary unicast addresses', () => {
    expect(isSpecialPurpose('8.8.8.8')).toBe(false);
    expect(isSpecialPurpose('2001:4860:4860::8888')).toBe(false);
    expect(geo.country('8.8.8.8')).toMatch(/^[A-Z]{2}$/);
  });
});

describe('small fields', () => {
  it.each([['ja-JP', 'ja-jp'], ['en', 'en'], ['EN-gb', 'en-gb'], ['zh-Hant-TW', 'zh-tw'], ['de-419', 'de-419'], ['ja-JP-x-yamada', 'ja-jp'],
    ['en-US-u-ca-gregory', 'en-us'], ['yamada-taro', ''], ['x-private', ''], ['qq', ''], ['ja_JP', ''], ['tar', ''], ['ja-QQ', 'ja']])('lang %j → %j', (tag, expected) => {
    expect(reduceLang(tag)).toBe(expected);
  });

  it.each([['131.0.6778.85', '131'], ['17.5', '17'], ['yamada12.0', ''], ['090', '90'], ['09012345678', ''], ['', ''], [undefined, '']])('version %j → %j', (version, expected) => {
    expect(leadingInteger(version)).toBe(expected);
  });
});

describe('host names', () => {
  it('keeps the site and its clean subdomains as the page host, and names anything else by the site', () => {
    expect(pageHost('shop.example.com', 'example.com')).toBe('shop.example.com');
    expect(pageHost('www.example.com', 'example.com')).toBe('www.example.com');
    expect(pageHost('jane-r04-at-example-com.example.com', 'example.com')).toBe('example.com');
    expect(pageHost('p0901234567.example.com', 'example.com')).toBe('example.com');
    expect(pageHost('198.51.100.13', 'example.com')).toBe('example.com');
    expect(pageHost('[2001:db8::22]', 'example.com')).toBe('example.com');
    expect(pageHost('jane-doe.example.net', 'example.com')).toBe('example.com');
  });

  it('judges referrer labels like path segments', () => {
    expect(referrerHost('https://198-51-100-7.example.net/', 'example.com')).toBe(':phone.example.net');
    expect(referrerHost('https://jane-r04-at-example-com.example.org/', 'example.com')).toBe(':email');
    expect(referrerHost('https://hanako_suzuki%E2%98%85example.co.jp.example.com/', 'example.com')).toBe(':email');
    expect(referrerHost('https://2001-db8--22.example.net/', 'example.com')).toBe(':ip.example.net');
    expect(referrerHost('https://[2001:db8::22]/', 'example.com')).toBe(':ip');
    expect(referrerHost('https://www.google.co.jp/search?q=x', 'example.com')).toBe('google.co.jp');
    expect(referrerHost('https://b.hatena.ne.jp/', 'example.com')).toBe('b.hatena.ne.jp');
    expect(scrubHost('p1234567-ipngn1234.tokyo.ocn.ne.jp')).toBe(':phone.tokyo.ocn.ne.jp');
  });

  it('checks site names', () => {
    expect(checkSite('Example.COM')).toEqual({ ok: true, site: 'example.com' });
    expect(checkSite('例え.jp')).toEqual({ ok: true, site: 'xn--r8jz45g.jp' });
    for (const bad of ['jane@example.com', '192.0.2.1', '2001:db8::1', 'a b', 'ex\u200bample.com', 'a_b.example', '', 'x'.repeat(300)]) {
      expect(checkSite(bad).ok).toBe(false);
    }
    expect(checkSite('090-1234-5678.example')).toEqual({ ok: false, reason: 'personal_data' });
    expect(checkSite('other.example', new Set(['example.com']))).toEqual({ ok: false, reason: 'undeclared' });
  });
});
