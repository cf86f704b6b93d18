import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { fakeClickHouse } from './fake-clickhouse.js';

// The route's wiring: the stats routes' bearer token, the error shape, and the limits every query carries. The
// answers themselves are tested on real chDB (test/integration/query-v2.test.ts).

const NOW = Date.parse('2026-03-10T12:34:56Z');
const TOKEN = 'test-token-0123456789';

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const { client, calls } = fakeClickHouse();
  const app = await buildApiApp({
    config: { apiToken: TOKEN, host: '0.0.0.0' }, clickhouse: client,
    logger: captureLogs().logger, registry: new Registry(), clock: () => NOW,
  });
  apps.push(app);
  return { app, calls };
}

const post = (app: ApiApp, payload: unknown, token: string | null = TOKEN) => app.inject({
  method: 'POST', url: '/api/v2/query', payload: payload as Record<string, unknown>,
  headers: token === null ? {} : { authorization: `Bearer ${token}` },
});
const body = { site_id: 'example.com', metrics: ['visitors'], date_range: '7d', filters: [['is', 'visit:country', ['JP']]] };

describe('POST /api/v2/query', () => {
  it('needs the stats bearer token', async () => {
    const { app, calls } = await setup();
    expect((await post(app, body, null)).statusCode).toBe(401);
    expect((await post(app, body, 'wrong-token-0123456789')).statusCode).toBe(401);
    expect(calls).toHaveLength(0);
    expect((await post(app, body)).statusCode).toBe(200);
  });

  it('refuses an invalid query with 400 TKM_INVALID_QUERY naming the field, before any query', async () => {
    const { app, calls } = await setup();
    const response = await post(app, { ...body, metrics: ['total_revenue'] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'TKM_INVALID_QUERY', message: "metrics: 'total_revenue' is not supported yet: revenue is not collected" } });
    expect(calls).toHaveLength(0);
  });

  it('bounds every query it runs (the regex check too) and passes values only as parameters', async () => {
    const { app, calls } = await setup();
    const response = await post(app, { ...body, dimensions: ['event:page'], filters: [['matches', 'event:page', ["^/a'b"]]] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ results: [], meta: { source: 'events', min_visitors: 5, folded: false } });
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.query).toMatch(/SETTINGS max_execution_time = [\d.]+, timeout_overflow_mode = 'throw',\s+max_memory_usage = 268435456, max_result_rows = 5000/);
      expect(call.query).not.toContain("^/a'b");
    }
    expect(Object.values(calls[1]?.query_params ?? {})).toContain("^/a'b");
  });
});
