import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AGENT_KEY_CHARS, BotDetector, SessionAssigner, WallClock, classify, extensionOf, isAsset, isBad, resolveFormat, type ParsedLine } from '@tokumei/import';

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
  it('holds at most maxOpen sessions: evicts the one idle longest and counts it', () => {
    const s = new SessionAssigner(30 * 60_000, 3);
    const [a, b, c] = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip, i) => s.sid('example.com', ip, UA, i * 1000));
    // a is used again, so b is now the one idle longest.
    expect(s.sid('example.com', '192.0.2.1', UA, 4000)).toBe(a);
    const d = s.sid('example.com', '192.0.2.4', UA, 5000);
    expect(s.size).toBe(3);
    expect(s.evicted).toBe(1);
    expect(s.sid('example.com', '192.0.2.1', UA, 6000)).toBe(a);
    expect(s.sid('example.com', '192.0.2.3', UA, 6000)).toBe(c);
    expect(s.sid('example.com', '192.0.2.4', UA, 6000)).toBe(d);
    // b's session was ended early: its next request starts another, and that evicts a again.
    expect(s.sid('example.com', '192.0.2.2', UA, 7000)).not.toBe(b);
    expect(s.evicted).toBe(2);
  });

  it('drops sessions that are over without counting them as evicted', () => {
    const s = new SessionAssigner(30 * 60_000, 2);
    s.sid('example.com', '192.0.2.1', UA, 0);
    s.sid('example.com', '192.0.2.2', UA, 1000);
    s.sid('example.com', '192.0.2.3', UA, 3 * 3_600_000);
    expect(s.size).toBe(1);
    expect(s.evicted).toBe(0);
  });

  it('keeps the sessions of an older file imported after a newer one', () => {
    const s = new SessionAssigner();
    const day = 86_400_000;
    s.sid('example.com', '192.0.2.9', UA, 10 * day);
    const a = s.sid('example.com', '192.0.2.1', UA, 2 * day);
    s.sid('example.com', '192.0.2.2', UA, 2 * day + 60_000);
    expect(s.sid('example.com', '192.0.2.1', UA, 2 * day + 10 * 60_000)).toBe(a);
  });

  it('gives different ids in different runs', () => {
    expect(new SessionAssigner().sid('example.com', '192.0.2.1', UA, 0)).not.toBe(new SessionAssigner().sid('example.com', '192.0.2.1', UA, 0));
  });
});

describe('BotDetector', () => {
  it('keys its cache by at most AGENT_KEY_CHARS characters or a hash, and stays within its size', () => {
    const bots = new BotDetector(50);
    for (let i = 0; i < 120; i += 1) expect(bots.isBot(`${UA} ${i} ${'x'.repeat(60_000)}`)).toBe(false);
    expect(bots.size).toBeLessThanOrEqual(50);
    expect(bots.keyChars).toBeLessThanOrEqual(50 * 45);
    // Short agents are their own key; two long agents differing only after the first 256 characters stay apart.
    expect(bots.isBot('curl/8.5.0')).toBe(true);
    expect(bots.isBot(`${UA} ${'x'.repeat(AGENT_KEY_CHARS)} Googlebot/2.1`)).toBe(true);
    expect(bots.isBot(`${UA} ${'x'.repeat(AGENT_KEY_CHARS)} Ext/2.1`)).toBe(false);
  });
});

describe('memory', () => {
  // Heap measured after a full collection: what the caches keep alive once the lines themselves are gone.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it('keeps no part of a log line alive in the bot cache or the session map', () => {
    const format = resolveFormat('combined', new WallClock());
    const bots = new BotDetector();
    const sessions = new SessionAssigner();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1500; i += 1) {
      // Short agents too: a capture is a slice of the line, and a 60 KB line behind a short key is what leaked.
      const ua = i % 2 === 0 ? `${UA} ${i}` : `${UA} ${i} ${'k'.repeat(60_000)}`;
      const parsed = format.parse(`192.0.2.${i % 250} - - [10/Oct/2026:13:55:36 +0000] "GET /p/${i} HTTP/1.1" 200 5 "-" "${ua}" ${'pad '.repeat(i % 2 === 0 ? 15_000 : 0)}`);
      if (isBad(parsed)) throw new Error(parsed.bad);
      bots.isBot(parsed.ua);
      sessions.sid('example.com', parsed.ip, parsed.ua, parsed.ts + i);
    }
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    // 1,500 lines of 60 KB: 90 MB if entries held their lines; the keys themselves are under 1 MB.
    expect(kept).toBeLessThan(15 * 1024 * 1024);
    expect(sessions.size).toBe(1500);
    expect(bots.size).toBe(1500);
  });
});
