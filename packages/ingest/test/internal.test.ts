import { describe, it, expect, afterEach } from 'vitest';
import { MemoryBus } from '@tokumei/bus';
import { createLogger, loadConfig } from '@tokumei/config';
import { buildIngestApp, type ImportTarget, type IngestApp } from '@tokumei/ingest';
import { Registry } from 'prom-client';

const TOKEN = 'a'.repeat(64);
const RECORD = { v: 1, src: 'log', ts: 1, site: 'example.com', url: 'https://example.com/', event: 'pageview', ip: '192.0.2.1', ua: 'x', dnt: false, gpc: false };

const apps: IngestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(imports: ImportTarget | undefined, controlToken: string | undefined) {
  const bus = new MemoryBus({ topic: 't', maxPending: 100 });
  const app = await buildIngestApp({ config: loadConfig({}), bus, publisher: bus.publisher(), logger: createLogger({ level: 'silent' }), registry: new Registry(), controlToken, imports });
  apps.push(app);
  return app;
}

function fakeTarget() {
  const calls: { stream: string; first: bigint; values: string[] }[] = [];
  const finished: string[] = [];
  const target: ImportTarget = {
    store: (stream, first, values) => {
      calls.push({ stream, first, values: values.map((v) => v.toString()) });
      return Promise.resolve(first + BigInt(values.length));
    },
    finishRun: (run) => {
      finished.push(run);
      return Promise.resolve(3);
    },
  };
  return { target, calls, finished };
}

describe('/internal routes for tokumei import', () => {
  it('hands records to the worker and answers the next number, with the control token only', async () => {
    const { target, calls, finished } = fakeTarget();
    const app = await setup(target, TOKEN);
    const body = { stream: 'import.0123abcd', first: '40', records: [RECORD, RECORD] };
    expect((await app.inject({ method: 'POST', url: '/internal/records', payload: body })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/internal/records', payload: body, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/internal/records', payload: body, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ next: '42' });
    expect(calls).toEqual([{ stream: 'import.0123abcd', first: 40n, values: [JSON.stringify(RECORD), JSON.stringify(RECORD)] }]);
    const finish = await app.inject({ method: 'POST', url: '/internal/import-runs/0123456789abcdef/finish', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(finish.json()).toEqual({ saltsDestroyed: 3 });
    expect(finished).toEqual(['0123456789abcdef']);
  });

  it('refuses malformed streams, numbers and run ids', async () => {
    const app = await setup(fakeTarget().target, TOKEN);
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (const payload of [{ stream: 'tokumei.raw', first: '0', records: [] }, { stream: 'import.x', first: '-1', records: [] }, { stream: 'import.x', first: '0', records: [1] }]) {
      expect((await app.inject({ method: 'POST', url: '/internal/records', payload, headers })).statusCode).toBe(400);
    }
    expect((await app.inject({ method: 'POST', url: '/internal/import-runs/NOT-HEX/finish', headers })).statusCode).toBe(400);
  });

  it('serves no internal route without a control token or without a worker in the process', async () => {
    for (const app of [await setup(fakeTarget().target, undefined), await setup(undefined, TOKEN)]) {
      const response = await app.inject({ method: 'POST', url: '/internal/import-runs/0123456789abcdef/finish', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.statusCode).toBe(404);
    }
  });
});
