import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { DIMENSION_SPECS } from '@tokumei/store';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { fakeClickHouse } from './fake-clickhouse.js';

const TOKEN = 'test-token-0123456789';

/** The list needs no query; the breakdowns asked below get empty answers. */
const { client: clickhouse } = fakeClickHouse();

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup(token?: string): Promise<ApiApp> {
  const app = await buildApiApp({
    config: { apiToken: token, host: '127.0.0.1' }, clickhouse, logger: captureLogs().logger, registry: new Registry(),
    clock: () => Date.parse('2026-03-10T12:00:00Z'),
  });
  apps.push(app);
  return app;
}

interface Listed { name: string; kind: string; label: string; title: string }

describe('GET /api/dimensions', () => {
  it('lists every breakdown dimension from the one declaration, screen included, without storage details', async () => {
    const response = await (await setup()).inject({ method: 'GET', url: '/api/dimensions' });
    expect(response.statusCode).toBe(200);
    const { dimensions } = response.json<{ dimensions: Listed[] }>();
    expect(dimensions).toEqual(DIMENSION_SPECS.map(({ name, kind, label, title }) => ({ name, kind, label, title })));
    expect(dimensions.map((d) => d.name)).toContain('screen');
    expect(dimensions).toHaveLength(13);
  });

  it('lists exactly what the breakdown route accepts', async () => {
    const app = await setup();
    const { dimensions } = (await app.inject({ method: 'GET', url: '/api/dimensions' })).json<{ dimensions: Listed[] }>();
    for (const { name } of dimensions) {
      const response = await app.inject({ method: 'GET', url: `/api/stats/breakdown?site=example.com&dimension=${name}&from=2026-03-01&to=2026-03-02` });
      expect(response.statusCode, name).toBe(200);
    }
    const unknown = await app.inject({ method: 'GET', url: '/api/stats/breakdown?site=example.com&dimension=lang' });
    expect(unknown.statusCode).toBe(400);
  });

  it('needs the bearer token like the statistics routes when one is set', async () => {
    const app = await setup(TOKEN);
    expect((await app.inject({ method: 'GET', url: '/api/dimensions' })).statusCode).toBe(401);
    const response = await app.inject({ method: 'GET', url: '/api/dimensions', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ dimensions: Listed[] }>().dimensions.map((d) => d.name)).toEqual(DIMENSION_SPECS.map((d) => d.name));
  });
});
