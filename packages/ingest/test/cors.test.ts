import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@tokumei/bus';
import { createLogger, loadConfig } from '@tokumei/config';
import { buildIngestApp, type IngestApp } from '@tokumei/ingest';
import { Registry } from 'prom-client';

const ORIGIN = 'https://shop.example.com';
const BEACON = JSON.stringify({ site: 'shop.example.com', url: 'https://shop.example.com/' });

const apps: IngestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const bus = new MemoryBus({ topic: 't', maxPending: 10 });
  const app = await buildIngestApp({
    config: loadConfig({}), bus, publisher: bus.publisher(), logger: createLogger({ level: 'silent' }), registry: new Registry(),
  });
  apps.push(app);
  return app;
}

function post(app: IngestApp, payload: string, contentType = 'text/plain;charset=UTF-8') {
  return app.inject({ method: 'POST', url: '/collect', payload, headers: { origin: ORIGIN, 'content-type': contentType } });
}

describe('CORS on /collect', () => {
  it('answers the preflight with 204, POST, content-type and a max-age', async () => {
    const app = await setup();
    const response = await app.inject({
      method: 'OPTIONS', url: '/collect',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-methods']).toBe('POST');
    expect(response.headers['access-control-allow-headers']).toBe('content-type');
    expect(Number(response.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('allows any origin on 202, without credentials', async () => {
    const app = await setup();
    const response = await post(app, BEACON);
    expect(response.statusCode).toBe(202);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    ['invalid beacon', '{"site":"shop.example.com"}', 'text/plain', 400, 'TKM_INVALID_BEACON'],
    ['invalid JSON', '{"site":', 'application/json', 400, 'TKM_BAD_JSON'],
    ['other media type', BEACON, 'application/xml', 415, 'TKM_UNSUPPORTED_MEDIA_TYPE'],
    ['body over the limit', 'x'.repeat(10_000), 'text/plain', 413, 'TKM_BODY_TOO_LARGE'],
  ])('keeps the header and the error envelope on a refusal: %s', async (_name, payload, type, status, code) => {
    const app = await setup();
    const response = await post(app, payload, type);
    expect(response.statusCode).toBe(status);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.json()).toEqual({ error: { code, message: expect.any(String) as string } });
  });

  it('stays off the other routes', async () => {
    const app = await setup();
    for (const url of ['/healthz', '/metrics', '/readyz', '/t.js']) {
      const response = await app.inject({ method: 'GET', url, headers: { origin: ORIGIN } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
    }
    const preflight = await app.inject({ method: 'OPTIONS', url: '/metrics', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.json()).toEqual({ error: { code: 'TKM_NOT_FOUND', message: expect.any(String) as string } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});
