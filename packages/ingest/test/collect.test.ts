import { describe, it, expect, afterEach } from 'vitest';
import { MemoryBus, type Publisher } from '@tokumei/bus';
import { loadConfig, type Config } from '@tokumei/config';
import { buildIngestApp, type IngestApp } from '@tokumei/ingest';
import { decodeRawRecord, type RawRecord } from '@tokumei/schema';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const BEACON = { site: 'example.com', url: 'https://example.com/page?utm_source=x', referrer: 'https://ref.example/', sid: 'abc', w: 1280, lang: 'en-GB' };

interface Options {
  trustProxy?: Config['trustProxy'];
  maxPending?: number;
  publisher?: Publisher;
}

const apps: IngestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(options: Options = {}) {
  const config = { ...loadConfig({}), ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }) };
  const bus = new MemoryBus({ topic: 't', maxPending: options.maxPending ?? 100 });
  const logs = captureLogs();
  const app = await buildIngestApp({
    config, bus, publisher: options.publisher ?? bus.publisher(), logger: logs.logger, registry: new Registry(), clock: () => NOW,
  });
  apps.push(app);
  /** Everything published so far, decoded (drains the bus). */
  const published = async (): Promise<RawRecord[]> => {
    const out: RawRecord[] = [];
    const unreadable: string[] = [];
    const subscriber = bus.subscriber();
    await subscriber.run(async (batch) => {
      for (const m of batch.messages) {
        const decoded = decodeRawRecord(m.value);
        if (decoded.ok) out.push(decoded.record);
        else unreadable.push(decoded.reason);
      }
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined) await batch.commit(last.offset + 1n);
    });
    await subscriber.stop();
    // Thrown here, not in the handler: the bus would swallow a handler's error and redeliver.
    if (unreadable.length > 0) throw new Error(`unreadable records published: ${unreadable.join('; ')}`);
    return out;
  };
  return { app, bus, logs, config, published };
}

function post(app: IngestApp, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST', url: '/collect', payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function errorCode(response: { json: () => unknown }): string | undefined {
  return (response.json() as { error?: { code?: string } }).error?.code;
}

describe('POST /collect accepts', () => {
  it('answers 202 with an empty body for application/json', async () => {
    const { app, published } = await setup();
    const response = await post(app, BEACON);
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    expect(await published()).toHaveLength(1);
  });

  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/json; charset=utf-8'])('answers 202 for %s', async (type) => {
    const { app, published } = await setup();
    const response = await post(app, BEACON, { 'content-type': type });
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    expect(await published()).toHaveLength(1);
  });

  it('publishes a raw record with the beacon fields, the clock time and the client', async () => {
    const { app, published } = await setup();
    await post(app, BEACON, { 'user-agent': 'UA/1.0' });
    expect(await published()).toEqual([{
      v: 1, src: 'beacon', ts: NOW, site: 'example.com', url: BEACON.url, ref: BEACON.referrer, sid: 'abc', event: 'pageview',
      w: 1280, lang: 'en-GB', ip: '127.0.0.1', ua: 'UA/1.0', dnt: false, gpc: false,
    }]);
  });

  it('keeps a custom event name and works without optional fields', async () => {
    const { app, published } = await setup();
    await post(app, { site: 's', url: 'http://s.example/', event: 'signup' });
    const [record] = await published();
    expect(record).toMatchObject({ site: 's', event: 'signup' });
    expect(record?.sid).toBeUndefined();
    expect(record?.ref).toBeUndefined();
  });

  it.each([
    [{ dnt: '1' }, true, false],
    [{ 'sec-gpc': '1' }, false, true],
    [{ dnt: '1', 'sec-gpc': '1' }, true, true],
    [{ dnt: '0', 'sec-gpc': '0' }, false, false],
  ])('reads consent headers %o', async (headers, dnt, gpc) => {
    const { app, published } = await setup();
    await post(app, BEACON, headers);
    expect(await published()).toEqual([expect.objectContaining({ dnt, gpc })]);
  });

  it('counts accepted beacons in /metrics', async () => {
    const { app } = await setup();
    await post(app, BEACON);
    await post(app, { ...BEACON, event: 'signup' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('tokumei_ingest_accepted_total{event="pageview"} 1');
    expect(metrics.body).toContain('tokumei_ingest_accepted_total{event="custom"} 1');
  });
});

describe('POST /collect refuses', () => {
  it.each([
    ['missing url', { site: 'example.com' }],
    ['missing site', { url: 'https://example.com/' }],
    ['relative url', { site: 'example.com', url: '/page' }],
    ['bad event name', { ...BEACON, event: 'has space' }],
    ['negative width', { ...BEACON, w: -1 }],
    ['array body', [BEACON]],
  ])('%s → 400 TKM_INVALID_BEACON', async (_name, body) => {
    const { app, published } = await setup();
    const response = await post(app, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'TKM_INVALID_BEACON', message: expect.any(String) as string } });
    expect(await published()).toEqual([]);
  });

  it('names the missing field in the message', async () => {
    const { app } = await setup();
    const response = await post(app, { site: 'example.com' });
    expect(response.json<{ error: { message: string } }>().error.message).toContain('url');
  });

  it.each(['{"site":', 'not json', ''])('invalid JSON %j → 400 TKM_BAD_JSON', async (body) => {
    const { app } = await setup();
    const response = await post(app, body);
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('TKM_BAD_JSON');
  });

  it('a body over the limit → 413 TKM_BODY_TOO_LARGE', async () => {
    const { app, config, published } = await setup();
    const body = JSON.stringify({ ...BEACON, referrer: 'x'.repeat(config.bodyLimit) });
    const response = await post(app, body);
    expect(response.statusCode).toBe(413);
    expect(errorCode(response)).toBe('TKM_BODY_TOO_LARGE');
    expect(await published()).toEqual([]);
  });

  it.each(['application/xml', 'application/x-www-form-urlencoded'])('%s → 415 TKM_UNSUPPORTED_MEDIA_TYPE', async (type) => {
    const { app } = await setup();
    const response = await post(app, BEACON, { 'content-type': type });
    expect(response.statusCode).toBe(415);
    expect(errorCode(response)).toBe('TKM_UNSUPPORTED_MEDIA_TYPE');
  });

  it('a full bus → 503 TKM_BUS_FULL with Retry-After', async () => {
    const { app, bus } = await setup({ maxPending: 1 });
    await bus.publisher().publish([{ key: 'k', value: Buffer.from('{}') }]);
    const response = await post(app, BEACON);
    expect(response.statusCode).toBe(503);
    expect(errorCode(response)).toBe('TKM_BUS_FULL');
    expect(response.headers['retry-after']).toBe('1');
  });

  it('a closed bus → 503 TKM_BUS_CLOSED and /readyz 503', async () => {
    const { app, bus } = await setup();
    await bus.close();
    const response = await post(app, BEACON);
    expect(response.statusCode).toBe(503);
    expect(errorCode(response)).toBe('TKM_BUS_CLOSED');
    expect(response.headers['retry-after']).toBeDefined();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(errorCode(ready)).toBe('TKM_BUS_UNAVAILABLE');
  });

  it('GET /collect and unknown routes → 404 TKM_NOT_FOUND', async () => {
    const { app } = await setup();
    for (const url of ['/nope', '/collect/extra']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: { code: 'TKM_NOT_FOUND', message: expect.any(String) as string } });
    }
  });
});

describe('client address', () => {
  const xff = { 'x-forwarded-for': '203.0.113.9' };

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const { app, published } = await setup({ trustProxy: false });
    await post(app, BEACON, xff);
    expect((await published())[0]?.ip).toBe('127.0.0.1');
  });

  it('uses X-Forwarded-For when any proxy is trusted', async () => {
    const { app, published } = await setup({ trustProxy: true });
    await post(app, BEACON, xff);
    expect((await published())[0]?.ip).toBe('203.0.113.9');
  });

  it('uses X-Forwarded-For only from a listed proxy', async () => {
    const listed = await setup({ trustProxy: ['127.0.0.1'] });
    await post(listed.app, BEACON, xff);
    expect((await listed.published())[0]?.ip).toBe('203.0.113.9');

    const other = await setup({ trustProxy: ['10.0.0.1'] });
    await post(other.app, BEACON, xff);
    expect((await other.published())[0]?.ip).toBe('127.0.0.1');
  });

  // Behind a trusting proxy a client can put anything into X-Forwarded-For; a record the worker would refuse must
  // not be answered 202.
  it('publishes a record the worker can read whatever X-Forwarded-For holds', async () => {
    const { app, published } = await setup({ trustProxy: true });
    expect((await post(app, BEACON, { 'x-forwarded-for': 'x'.repeat(100) })).statusCode).toBe(202);
    await published(); // throws on an unreadable record
  });
});

describe('health endpoints', () => {
  it('/healthz and /readyz answer 200 while the bus is up', async () => {
    const { app } = await setup();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { bus: true } });
  });

  it('/metrics is Prometheus text with the ingest counters', async () => {
    const { app } = await setup();
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('tokumei_ingest_accepted_total');
    expect(response.body).toContain('tokumei_bus_pending');
  });
});

describe('privacy of logs and error bodies', () => {
  const IP = '198.51.100.23';
  const UA = 'Mozilla/5.0 (X11; Linux x86_64) TestAgent/1.0';
  const SID = 'sid-secret-123';
  const URL_WITH_EMAIL = 'https://example.com/p?email=jane%40example.com';
  const SECRETS = [IP, UA, 'TestAgent', SID, URL_WITH_EMAIL, 'email=', 'jane'];
  const headers = { 'x-forwarded-for': IP, 'user-agent': UA, cookie: `session=${SID}` };
  const beacon = { site: 'example.com', url: URL_WITH_EMAIL, sid: SID, referrer: URL_WITH_EMAIL };

  function expectClean(text: string) {
    for (const secret of SECRETS) expect(text, `found ${secret}`).not.toContain(secret);
  }

  it('logs none of IP, user agent, sid or URL, for accepted and refused beacons', async () => {
    const failing: Publisher = {
      publish: () => Promise.reject(new Error('broker unreachable')), pending: () => 0, close: () => Promise.resolve(),
    };
    const ok = await setup({ trustProxy: true });
    const full = await setup({ trustProxy: true, maxPending: 1 });
    await full.bus.publisher().publish([{ key: 'k', value: Buffer.from('{}') }]);
    const broken = await setup({ trustProxy: true, publisher: failing });

    const responses = [
      await post(ok.app, beacon, headers),
      await post(ok.app, beacon, { ...headers, 'content-type': 'text/plain' }),
      await post(ok.app, { ...beacon, site: undefined }, headers),
      await post(ok.app, { ...beacon, url: `ftp://${IP}/?email=jane` }, headers),
      await post(ok.app, { ...beacon, w: `${IP}` }, headers),
      await post(ok.app, { ...beacon, lang: URL_WITH_EMAIL }, headers),
      await post(ok.app, `{"url":"${URL_WITH_EMAIL}","sid":"${SID}",`, headers),
      await post(ok.app, { ...beacon, referrer: `${URL_WITH_EMAIL}${'x'.repeat(9000)}` }, headers),
      await post(ok.app, beacon, { ...headers, 'content-type': 'application/xml' }),
      await post(full.app, beacon, headers),
      await post(broken.app, beacon, headers),
      await ok.app.inject({ method: 'GET', url: `/p?email=jane%40example.com&sid=${SID}`, headers }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 400, 400, 400, 400, 400, 413, 415, 503, 500, 404]);

    for (const response of responses) expectClean(response.body);
    const logs = ok.logs.text() + full.logs.text() + broken.logs.text();
    // The logger was live at trace level: the internal error was logged, just without personal data.
    expect(broken.logs.text()).toContain('request failed');
    expect(ok.logs.text()).toContain('"status":202');
    expectClean(logs);
  });
});
