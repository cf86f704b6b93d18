import { describe, expect, it } from 'vitest';
import { cleanUrl, classify, referrerHost, DEFAULT_QUERY_ALLOWLIST } from '@tokumei/privacy';

const options = { queryAllowList: DEFAULT_QUERY_ALLOWLIST, pathIdKeys: new Set(['user', 'account']) };
const path = (url: string) => cleanUrl(url, options)?.path;

describe('cleanUrl: personal data in paths', () => {
  it.each([
    ['https://example.com/u/jane.doe@example.com', '/u/:email'],
    ['https://example.com/u/jane.doe%40example.com', '/u/:email'],
    ['https://example.com/u/jane.doe%2540example.com', '/u/:email'],
    ['https://example.com/u/JANE%40EXAMPLE.CO.JP/settings', '/u/:email/settings'],
    ['https://example.com/unsubscribe/jane%2Bnews%40example.com', '/unsubscribe/:email'],
    ['https://example.com/call/+81-3-5786-0700', '/call/:phone'],
    ['https://example.com/call/(03)%205786%200700', '/call/:phone'],
    ['https://example.com/orders/550e8400-e29b-41d4-a716-446655440000/items', '/orders/:id/items'],
    ['https://example.com/orders/550E8400E29B41D4A716446655440000', '/orders/:id'],
    ['https://example.com/reset/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '/reset/:token'],
    ['https://example.com/magic/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig', '/magic/:token'],
    ['https://example.com/hosts/192.0.2.55', '/hosts/:ip'],
    ['https://example.com/hosts/2001:db8::1', '/hosts/:ip'],
    ['https://example.com/hosts/2001%3Adb8%3A%3A1/info', '/hosts/:ip/info'],
    ['https://example.com/user/jane/orders', '/user/:id/orders'],
    ['https://example.com/account/12/settings', '/account/:id/settings'],
  ])('%s → %s', (url, expected) => {
    expect(path(url)).toBe(expected);
  });

  it.each([
    ['https://example.com/', '/'],
    ['https://example.com/blog/2024-01-15/launch', '/blog/2024-01-15/launch'],
    ['https://example.com/blog/my-first-blog-post-2024', '/blog/my-first-blog-post-2024'],
    ['https://example.com/docs/v1.2.3/install', '/docs/v1.2.3/install'],
    ['https://example.com/products/42', '/products/42'],
    ['https://example.com/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8', '/日本語/ページ'],
    ['https://example.com/caf%C3%A9', '/café'],
    ['https://example.com/a//b/', '/a//b/'],
  ])('keeps %s as %s', (url, expected) => {
    expect(path(url)).toBe(expected);
  });

  it('normalises unicode so composed and decomposed forms are one page', () => {
    expect(path('https://example.com/cafe%CC%81')).toBe(path('https://example.com/caf%C3%A9'));
  });

  it('drops fragments and user info, lower-cases the host', () => {
    const url = cleanUrl('https://jane:secret@Example.COM:8443/p#jane@example.com', options);
    expect(url).toMatchObject({ host: 'example.com', path: '/p', query: '' });
    expect(JSON.stringify(url)).not.toMatch(/jane|secret/);
  });

  it('caps very long paths, and replaces very long segments', () => {
    const long = `https://example.com/${'x'.repeat(150)}/${'z'.repeat(5000)}/${'y/'.repeat(2000)}`;
    const cleaned = path(long) ?? '';
    expect(cleaned.length).toBeLessThanOrEqual(512);
    expect(cleaned.startsWith(`/${'x'.repeat(120)}/:token/y/y/`)).toBe(true);
  });

  // Backtracking regexes turn such inputs into minutes of CPU (a denial of service); these must take milliseconds.
  it.each([
    ['letters', 'x'.repeat(100_000)],
    ['digits', '1'.repeat(100_000)],
    ['digits and dots', '1.'.repeat(50_000)],
    ['hex and colons', 'a:'.repeat(50_000)],
    ['token characters', 'a-'.repeat(50_000)],
    ['at signs', 'a@'.repeat(50_000)],
  ])('classifies 100 KB of %s without backtracking', (_name, text) => {
    expect(() => classify(text)).not.toThrow();
    expect(cleanUrl(`https://example.com/${text}?utm_source=${text}`, options)?.path).toBe('/:token');
  }, 2000);

  it('keeps malformed percent-encoding without crashing', () => {
    expect(path('https://example.com/%E0%A4%A/x')).toBe('/%E0%A4%A/x');
    expect(path('https://example.com/%zz')).toBe('/%zz');
  });

  it.each(['not a url', '/relative', 'ftp://example.com/', 'javascript:alert(1)', 'data:text/html,hi', 'https://'])('refuses %j', (url) => {
    expect(cleanUrl(url, options)).toBeUndefined();
  });
});

describe('cleanUrl: query parameters', () => {
  it('keeps allow-listed parameters only, sorted, and scrubs their values', () => {
    const url = cleanUrl('https://example.com/p?email=jane%40example.com&utm_source=News&gclid=abc&UTM_MEDIUM=cpc&ref=jane%40example.com&token=x', options);
    expect(url?.query).toBe('ref=%3Aemail&utm_medium=cpc&utm_source=News');
    expect(url?.params.get('utm_source')).toBe('News');
  });

  it('keeps the first of repeated parameters, and replaces values longer than a campaign word', () => {
    const url = cleanUrl(`https://example.com/p?utm_campaign=a&utm_campaign=b&utm_term=${'x'.repeat(101)}&utm_content=${'x'.repeat(100)}`, options);
    expect(url?.params.get('utm_campaign')).toBe('a');
    expect(url?.params.get('utm_term')).toBe(':value');
    expect(url?.params.get('utm_content')).toHaveLength(100);
  });

  it('follows a configured allow-list', () => {
    const url = cleanUrl('https://example.com/p?utm_source=a&lang=ja', { ...options, queryAllowList: new Set(['lang']) });
    expect(url?.query).toBe('lang=ja');
  });
});

describe('referrerHost', () => {
  it.each([
    ['https://www.google.com/search?q=jane+doe', 'example.com', 'google.com'],
    ['https://news.example.org/a/b?c', 'example.com', 'news.example.org'],
    ['https://example.com/other', 'example.com', ''],
    ['https://www.example.com/other', 'example.com', ''],
    ['android-app://com.example/', 'example.com', ''],
    ['not a url', 'example.com', ''],
    [undefined, 'example.com', ''],
    ['https://192.0.2.7/x', 'example.com', ':ip'],
  ])('%s on %s → %j', (referrer, host, expected) => {
    expect(referrerHost(referrer, host)).toBe(expected);
  });
});

describe('classify', () => {
  it('finds an e-mail anywhere in a text, but not a handle or a date', () => {
    expect(classify('contact: jane@example.com today')).toBe(':email');
    expect(classify('@jane')).toBeUndefined();
    expect(classify('2026-11-25')).toBeUndefined();
    expect(classify('12:30')).toBeUndefined();
  });
});
