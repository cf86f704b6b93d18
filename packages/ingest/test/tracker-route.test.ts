import fs from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@tokumei/bus';
import { createLogger, loadConfig, type ConsentPolicy } from '@tokumei/config';
import { buildIngestApp, type IngestApp } from '@tokumei/ingest';
import { TRACKER_GZIP_BUDGET } from '@tokumei/tracker';
import { Registry } from 'prom-client';

const apps: IngestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(consentPolicy: ConsentPolicy = 'count') {
  const config = loadConfig({ TOKUMEI_CONSENT_POLICY: consentPolicy });
  const bus = new MemoryBus({ topic: 't', maxPending: 10 });
  const app = await buildIngestApp({ config, bus, publisher: bus.publisher(), logger: createLogger({ level: 'silent' }), registry: new Registry() });
  apps.push(app);
  return app;
}

function get(app: IngestApp, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: '/t.js', headers });
}

describe('GET /t.js', () => {
  it('serves minified JavaScript cached for a day, with an ETag', async () => {
    const app = await setup();
    const response = await get(app);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=86400');
    expect(response.headers.etag).toMatch(/^W\/"[\w-]{16,}"$/);
    expect(response.headers.vary).toBe('Accept-Encoding');
    expect(response.headers['content-encoding']).toBeUndefined();
    // Minified: the readable source's comments and indentation are gone, the behaviour is still there.
    expect(response.body).not.toContain('\n  ');
    expect(response.body).not.toContain('/*');
    expect(response.body).toContain('sendBeacon');
    expect(response.body).toContain('/collect');
    expect(response.body).not.toContain('__TOKUMEI_CONSENT__');
  });

  it('sends the Cache-Control the README promises', async () => {
    const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const snippet = readme.slice(readme.indexOf('## Tracker snippet'));
    const promised = /`Cache-Control: ([^`]+)`/.exec(snippet)?.[1];
    expect(promised, 'the README names the Cache-Control of /t.js').toBeDefined();
    expect((await get(await setup())).headers['cache-control']).toBe(promised);
  });

  it('stays under the gzipped size budget', async () => {
    const app = await setup();
    const plain = await get(app);
    // The budget is about what travels: the served body, compressed.
    const size = gzipSync(plain.rawPayload, { level: 9 }).length;
    expect(size).toBeLessThan(TRACKER_GZIP_BUDGET);
    expect(TRACKER_GZIP_BUDGET).toBe(1792);
  });

  it('sends gzip when the client accepts it, and the same script inside', async () => {
    const app = await setup();
    const plain = await get(app);
    const zipped = await get(app, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(TRACKER_GZIP_BUDGET);
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
    expect(zipped.headers.etag).toBe(plain.headers.etag);
  });

  it.each(['gzip;q=0', 'br', 'identity'])('sends it uncompressed for Accept-Encoding: %s', async (acceptEncoding) => {
    const app = await setup();
    const response = await get(app, { 'accept-encoding': acceptEncoding });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.body).toContain('sendBeacon');
  });

  it('answers 304 without a body to a matching If-None-Match', async () => {
    const app = await setup();
    const etag = (await get(app)).headers.etag as string;
    for (const header of [etag, etag.replace(/^W\//, ''), `"other", ${etag}`, '*']) {
      const response = await get(app, { 'if-none-match': header });
      expect(response.statusCode, header).toBe(304);
      expect(response.body).toBe('');
      expect(response.headers.etag).toBe(etag);
      expect(response.headers['cache-control']).toMatch(/^public, max-age=/);
    }
    const stale = await get(app, { 'if-none-match': 'W/"stale"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toContain('sendBeacon');
  });

  it('bakes the consent policy in: each policy is its own script and ETag', async () => {
    const scripts = await Promise.all((['count', 'drop', 'ignore'] as const).map(async (policy) => (await get(await setup(policy))).body));
    const [count, drop, ignore] = scripts;
    expect(count).toContain('"count"');
    expect(drop).toContain('"drop"');
    expect(ignore).toContain('"ignore"');
    expect(new Set(scripts).size).toBe(3);
  });

  it('answers HEAD with the headers only', async () => {
    const app = await setup();
    const response = await app.inject({ method: 'HEAD', url: '/t.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(response.body).toBe('');
  });
});
