import { describe, expect, it } from 'vitest';
import { BotDetector, SessionAssigner, classify, extensionOf, isAsset, type ParsedLine } from '@tokumei/import';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const base: ParsedLine = { ip: '192.0.2.1', ts: 0, method: 'GET', target: '/', status: 200, referrer: undefined, ua: UA, host: undefined, contentType: undefined, scheme: undefined };

describe('classify', () => {
  const bots = new BotDetector();
  it('keeps GET page views with 2xx/3xx', () => {
    for (const status of [200, 204, 301, 304]) expect(classify({ ...base, status }, bots)).toBeUndefined();
  });
  it('skips by status, then method, then asset, then bot', () => {
    expect(classify({ ...base, status: 404, method: 'POST' }, bots)).toBe('status');
    expect(classify({ ...base, status: 101 }, bots)).toBe('status');
    expect(classify({ ...base, method: 'HEAD' }, bots)).toBe('method');
    expect(classify({ ...base, target: '/app.js?v=3' }, bots)).toBe('asset');
    expect(classify({ ...base, ua: 'Googlebot/2.1 (+http://www.google.com/bot.html)' }, bots)).toBe('bot');
    expect(classify({ ...base, ua: 'curl/8.5.0' }, bots)).toBe('bot');
  });
  it('finds extensions of the last path segment only', () => {
    expect(extensionOf('/img/logo.PNG?x=1.js')).toBe('png');
    expect(extensionOf('/v1.2/docs')).toBe('');
    expect(extensionOf('/file.')).toBe('');
    expect(extensionOf('/a.b/c#d.css')).toBe('');
    expect(isAsset({ target: '/robots.txt', contentType: undefined })).toBe(true);
    expect(isAsset({ target: '/blog/post.html', contentType: undefined })).toBe(false);
  });
  it('trusts a known content type over the extension', () => {
    expect(isAsset({ target: '/page', contentType: 'image/png' })).toBe(true);
    expect(isAsset({ target: '/report.pdf', contentType: 'text/html; charset=utf-8' })).toBe(false);
  });
});

describe('SessionAssigner', () => {
  it('keeps a session while requests are less than 30 minutes apart, per site, address and agent', () => {
    const s = new SessionAssigner();
    const a = s.sid('example.com', '192.0.2.1', UA, 0);
    expect(s.sid('example.com', '192.0.2.1', UA, 29 * 60_000)).toBe(a);
    expect(s.sid('example.com', '192.0.2.1', UA, 58 * 60_000)).toBe(a);
    expect(s.sid('example.com', '192.0.2.1', UA, 89 * 60_000)).not.toBe(a);
    expect(s.sid('example.com', '192.0.2.2', UA, 0)).not.toBe(a);
    expect(s.sid('example.org', '192.0.2.1', UA, 0)).not.toBe(a);
    expect(a).not.toContain('192.0.2');
  });
  it('gives different ids in different runs', () => {
    expect(new SessionAssigner().sid('example.com', '192.0.2.1', UA, 0)).not.toBe(new SessionAssigner().sid('example.com', '192.0.2.1', UA, 0));
  });
});
