import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import type { IngestApp } from '@tokumei/ingest';
import { foreignVisit } from '../src/routes/foreign-route.js';
import { NOW, captureIngest } from './harness.js';

const WEBSITE = '7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ENV = { TOKUMEI_SITES: 'example.com,blog.example.com', TOKUMEI_UMAMI_WEBSITES: JSON.stringify({ [WEBSITE]: 'example.com' }) };

const apps: IngestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const ingest = await captureIngest({ env: ENV, trustProxy: true });
  apps.push(ingest.app);
  const records = () => ingest.take().map((d) => (d.ok ? d.record : expect.fail(`unreadable: ${d.reason}`)));
  const send = (url: string, body: unknown, headers: Record<string, string> = {}) => ingest.app.inject({
    method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'text/plain', 'user-agent': UA, 'x-forwarded-for': '203.0.113.7', ...headers },
  });
  const metric = async (line: string): Promise<number> => {
    const text = (await ingest.app.inject({ method: 'GET', url: '/metrics' })).body;
    const found = text.split('\n').find((l) => l.startsWith(line));
    return found === undefined ? 0 : Number(found.slice(line.length));
  };
  return { ...ingest, records, send, metric };
}

describe('POST /api/event (Plausible)', () => {
  it('answers 202 once published, with the request\'s address, agent and consent signals, as /collect does', async () => {
    const { send, records } = await setup();
    const response = await send('/api/event', { n: 'pageview', v: 36, u: 'https://example.com/a', d: 'example.com', r: null }, { 'sec-gpc': '1', origin: 'https://example.com' });
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(records()).toEqual([{
      v: 1, src: 'beacon', ts: NOW, site: 'example.com', url: 'https://example.com/a', event: 'pageview', ip: '203.0.113.7', ua: UA, dnt: false, gpc: true,
      sid: expect.stringMatching(/^[\w-]{32}$/) as string,
    }]);
  });

  it('publishes one record per listed site, and nothing when one of them is not declared', async () => {
    const { send, records } = await setup();
    expect((await send('/api/event', { n: 'signup', u: 'https://blog.example.com/', d: 'example.com,blog.example.com' })).statusCode).toBe(202);
    expect(records().map((r) => [r.site, r.event])).toEqual([['example.com', 'signup'], ['blog.example.com', 'signup']]);
    const refused = await send('/api/event', { n: 'signup', u: 'https://example.com/', d: 'example.com,other.example.net' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'TKM_UNKNOWN_SITE' } });
    expect(records()).toEqual([]);
  });

  it('names the sender\'s field in checkBeacon\'s refusals, and answers CORS preflights', async () => {
    const { app, send, records } = await setup();
    const response = await send('/api/event', { name: 'pageview', url: 'ftp://example.com/', domain: 'example.com' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'TKM_INVALID_BEACON', message: 'body url: must start with http:// or https:// and contain no control characters' } });
    const props = await send('/api/event', { n: 'x', u: 'https://example.com/', d: 'example.com', p: { 'a b': '1' } });
    expect(props.json()).toEqual({ error: { code: 'TKM_INVALID_BEACON', message: 'body p: keys must be identifiers: a letter, then letters, digits or _, at most 40' } });
    expect((await send('/api/event', '{"n":')).json()).toMatchObject({ error: { code: 'TKM_BAD_JSON' } });
    expect((await send('/api/event', {}, { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    const preflight = await app.inject({ method: 'OPTIONS', url: '/api/event', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(records()).toEqual([]);
  });
});

describe('the visit of a foreign beacon', () => {
  const request = (ip: string, ua: string) => ({ ip, socket: { remoteAddress: ip }, headers: { 'user-agent': ua } }) as unknown as FastifyRequest;

  it('is one visitor (site, address, user agent) in one clock hour, as Umami defines a visit', () => {
    const hour = Date.parse('2026-03-10T12:00:00Z');
    const visit = foreignVisit(request('203.0.113.7', UA), 'example.com', hour + 1000);
    expect(foreignVisit(request('203.0.113.7', UA), 'example.com', hour + 3_599_999)).toBe(visit);
    for (const other of [
      foreignVisit(request('203.0.113.7', UA), 'example.com', hour + 3_600_000),
      foreignVisit(request('203.0.113.8', UA), 'example.com', hour + 1000),
      foreignVisit(request('203.0.113.7', `${UA} Edg/131.0`), 'example.com', hour + 1000),
      foreignVisit(request('203.0.113.7', UA), 'blog.example.com', hour + 1000),
    ]) expect(other).not.toBe(visit);
    expect(visit).not.toContain('203.0.113');
  });

  it('is the same for a page view and its engagement, and differs per site of a multi-site d', async () => {
    const { send, records } = await setup();
    await send('/api/event', { n: 'pageview', u: 'https://example.com/a', d: 'example.com,blog.example.com' });
    await send('/api/event', { n: 'engagement', u: 'https://example.com/a', d: 'example.com', e: 4000, sd: 50 });
    const [view, blogView, engagement] = records();
    expect(engagement?.sid).toBe(view?.sid);
    expect(blogView?.sid).not.toBe(view?.sid);
  });
});

describe('POST /api/send (Umami)', () => {
  it('answers 202 {} (no cache token, session or visit id) and publishes the mapped page view', async () => {
    const { send, records } = await setup();
    const response = await send('/api/send', {
      type: 'event', payload: { website: WEBSITE, hostname: 'example.com', url: '/pricing', screen: '390x844', language: 'ja-JP', title: 'Pricing', id: 'user-42' },
    }, { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({});
    expect(response.headers['access-control-allow-origin']).toBe('*');
    const [record, ...rest] = records();
    expect(rest).toEqual([]);
    expect(record).toEqual({
      v: 1, src: 'beacon', ts: NOW, site: 'example.com', url: 'https://example.com/pricing', event: 'pageview', w: 390, lang: 'ja-JP',
      ip: '203.0.113.7', ua: UA, dnt: false, gpc: false, sid: expect.stringMatching(/^[\w-]{32}$/) as string,
    });
    expect(JSON.stringify(record)).not.toContain('user-42');
  });

  it('drops identify calls, distinct ids and cache tokens unread, counted by field', async () => {
    const { send, records, metric } = await setup();
    const identify = await send('/api/send', { type: 'identify', payload: { website: WEBSITE, id: 'user-42', data: { email: 'jane@example.com' } } });
    expect(identify.statusCode).toBe(202);
    expect(identify.json()).toEqual({});
    const withId = await send('/api/send', { type: 'event', payload: { website: WEBSITE, name: 'signup', id: 'user-42' } }, { 'x-umami-cache': 'eyJhbGciOi.x.y' });
    expect(withId.statusCode).toBe(202);
    expect(records().map((r) => r.event)).toEqual(['signup']);
    const name = 'tokumei_ingest_foreign_identifiers_dropped_total';
    expect(await metric(`${name}{tracker="umami",field="identify"} `)).toBe(1);
    expect(await metric(`${name}{tracker="umami",field="id"} `)).toBe(1);
    expect(await metric(`${name}{tracker="umami",field="cache"} `)).toBe(1);
  });

  it('refuses an unknown website id with 403 TKM_UNKNOWN_WEBSITE and publishes nothing', async () => {
    const { send, records } = await setup();
    const response = await send('/api/send', { type: 'event', payload: { website: '00000000-0000-4000-8000-000000000000', url: '/' } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: { code: 'TKM_UNKNOWN_WEBSITE', message: 'the Umami website id is not one of TOKUMEI_UMAMI_WEBSITES' } });
    const bad = await send('/api/send', { type: 'event', payload: { website: WEBSITE, language: 'en_US' } });
    expect(bad.json()).toEqual({ error: { code: 'TKM_INVALID_BEACON', message: 'body payload.language: must be a language tag such as en-GB' } });
    expect(records()).toEqual([]);
  });
});
