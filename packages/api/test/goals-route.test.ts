import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { fakeClickHouse } from './fake-clickhouse.js';

// The goal routes' wiring: every query they run carries the request's limits, and goals reach SQL only as
// parameters. The answers are tested on real chDB (test/integration/goals.test.ts).

const NOW = Date.parse('2026-03-10T12:34:56Z');
const TOKEN = 'test-token-0123456789';
const HOSTILE = "/a'b) OR 1=1 --/**";

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const stored = JSON.stringify([{ page_path: HOSTILE, display_name: "Quote's" }, { event_name: "sign'up" }]);
  const { client, calls, inserts } = fakeClickHouse((call) =>
    Promise.resolve(call.query.includes('FROM site_goals') ? [{ goals: stored, version: '7' }] : []));
  const app = await buildApiApp({
    config: { apiToken: TOKEN, host: '0.0.0.0' }, clickhouse: client,
    logger: captureLogs().logger, registry: new Registry(), clock: () => NOW,
  });
  apps.push(app);
  return { app, calls, inserts };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const LIMITS = /SETTINGS max_execution_time = [\d.]+, timeout_overflow_mode = 'throw',\s+max_memory_usage = 268435456, max_result_rows = 5000/;

describe('goal routes', () => {
  it('bound every query and pass patterns and names only as parameters', async () => {
    const { app, calls } = await setup();
    const funnel = await app.inject({ method: 'POST', url: '/api/v2/funnel', headers: auth,
      payload: { site_id: 'example.com', date_range: '7d', steps: ["Quote's", "sign'up"] } });
    expect(funnel.statusCode, funnel.body).toBe(200);
    const conversions = await app.inject({ method: 'POST', url: '/api/v2/conversions', headers: auth,
      payload: { site_id: 'example.com', date_range: '7d', metrics: ['conversion_rate'], dimensions: ['event:goal'] } });
    expect(conversions.statusCode, conversions.body).toBe(200);
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      expect(call.query).toMatch(LIMITS);
      expect(call.query).not.toContain("a'b");
      expect(call.query).not.toContain("sign'up");
    }
    // The pattern went in as RE2 with Plausible's wildcards.
    expect(Object.values(calls[1]?.query_params ?? {})).toContain("^/a'b\\) OR 1=1 --/.*$");
    expect(Object.values(calls[3]?.query_params ?? {})).toContain("sign'up");
  });

  it('a PUT writes the next version of the site row, after a bounded read', async () => {
    const { app, calls, inserts } = await setup();
    const r = await app.inject({ method: 'PUT', url: '/api/sites/Example.com/goals', headers: auth, payload: { goals: [{ event_name: 'x' }] } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ site: 'example.com', source: 'api', goals: [{ goal_type: 'event', event_name: 'x', display_name: 'x' }] });
    expect(calls[0]?.query).toMatch(LIMITS);
    expect(inserts).toEqual([{ table: 'site_goals', format: 'JSONEachRow', values: [
      { site: 'example.com', goals: JSON.stringify([{ goal_type: 'event', event_name: 'x', display_name: 'x' }]), version: NOW } ] }]);
  });
});
