import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { createLogger } from '@tokumei/config';
import { DEFAULT_LIMITS, buildApiApp, limitedDb } from '@tokumei/api';
import { Registry } from 'prom-client';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { postBeacon, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

// What testers did to the embedded pipeline over loopback, and what must hold now: hostile ranges are refused before
// ClickHouse sees them, and a query that does run expensive is stopped by its limits without starving the worker,
// which shares chDB's one session (chDB runs one query at a time: a slow API query holds the worker's inserts).

const logger = createLogger({ level: 'warn' });
const SITE = 'bounds.example.com';
const MB = 1024 * 1024;

let tokumei: Running;
let api: string;
let ingest: string;

beforeAll(async () => {
  tokumei = await startTokumei(testConfig(), logger);
  api = tokumei.urls.api ?? '';
  ingest = tokumei.urls.ingest ?? '';
  for (let i = 0; i < 5; i++) expect(await postBeacon(ingest, { site: SITE, url: `https://${SITE}/p/${i}`, sid: `tab-${i}` })).toBe(202);
  await waitUntil(() => summary(api, SITE), (s) => s.pageviews === 5, 10_000);
});

afterAll(async () => {
  await tokumei?.stop();
});

/** Runs `work` and says how long it took and how far the process's resident memory rose meanwhile (sampled). */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; rssGrowth: number }> {
  const rss = process.memoryUsage().rss;
  let peak = rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, ms: performance.now() - started, rssGrowth: peak - rss };
  } finally {
    clearInterval(sampler);
  }
}

describe('hostile stats requests against a running embedded pipeline', () => {
  it.each([
    ['/api/stats/timeseries?interval=hour&to=2200-01-01', 'to'],
    ['/api/stats/timeseries?to=2200-01-01', 'to'],
    ['/api/stats/timeseries?interval=hour&to=2106-03-01', 'to'],
    ['/api/stats/summary?to=0000-01-01', 'to'],
    ['/api/stats/summary?to=9999-12-31', 'to'],
    ['/api/stats/summary?to=2200-01-01&compare=previous', 'to'],
    ['/api/stats/breakdown?dimension=page&to=0000-01-01', 'to'],
    ['/api/stats/breakdown?dimension=page&to=9999-12-31', 'to'],
    ['/api/stats/breakdown?dimension=referrer&from=0000-01-01&to=2026-01-01', 'from'],
    ['/api/stats/summary?from=2026-03-05&to=2026-03-01', 'from'],
    ['/api/stats/timeseries?interval=hour&from=2024-01-01&to=2026-01-01', 'interval'],
  ])('%s → 400 naming %s, in under a second, RSS +<100 MB', async (path, parameter) => {
    const [route, query] = path.split('?');
    const { value: response, ms, rssGrowth } = await measured(() => fetch(`${api}${route}?site=${SITE}&${query}`));
    const body = await response.json() as { error: { code: string; message: string } };
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('TKM_INVALID_QUERY');
    expect(body.error.message).toMatch(new RegExp(`^${parameter}[ =]`));
    expect(ms).toBeLessThan(1000);
    expect(rssGrowth).toBeLessThan(100 * MB);
  });

  it('still answers the ranges at the edges of ClickHouse DateTime, with every bucket', async () => {
    const { value: responses, ms } = await measured(() => Promise.all([
      fetch(`${api}/api/stats/timeseries?site=${SITE}&interval=hour&from=2106-02-06&to=2106-02-06`),
      fetch(`${api}/api/stats/timeseries?site=${SITE}&from=1970-01-01&to=1970-01-07`),
      fetch(`${api}/api/stats/summary?site=${SITE}&from=1970-01-02&to=1970-01-03&compare=previous`),
      fetch(`${api}/api/stats/breakdown?site=${SITE}&dimension=page&from=2106-01-01&to=2106-02-06`),
      fetch(`${api}/api/stats/timeseries?site=${SITE}&interval=hour&from=2026-01-01&to=2026-02-01`),
    ]));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: await r.json() as { series?: { time: string }[] } })));
    expect(bodies.map((b) => b.status)).toEqual([200, 200, 200, 200, 200]);
    expect(bodies[0]?.body.series?.map((b) => b.time).at(-1)).toBe('2106-02-06T23:00:00Z');
    expect(bodies[0]?.body.series).toHaveLength(24);
    expect(bodies[1]?.body.series).toHaveLength(7);
    expect(bodies[4]?.body.series).toHaveLength(768);
    expect(ms).toBeLessThan(3000);
  });
});

describe('limits on queries that do run, in the real engine', () => {
  const client = () => tokumei.store?.client ?? expect.fail('no store');
  const setting = async (name: string) => (await (await client().query({
    query: `SELECT toString(getSetting('${name}')) AS value`, format: 'JSONEachRow',
  })).json<{ value: string }>())[0]?.value;

  it('stops a query at the request time budget with TKM_QUERY_LIMIT, and leaves the session settings alone', async () => {
    const db = limitedDb(client(), { ...DEFAULT_LIMITS, requestMs: 1500 });
    const { value: error, ms } = await measured(() => db.rows('SELECT count() FROM numbers(1000000000000) WHERE sipHash64(number) = 0', {}).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(TokumeiError);
    expect((error as TokumeiError).code).toBe('TKM_QUERY_LIMIT');
    expect(ms).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(3000);
    // The worker's inserts and the rollup job run in the same chDB session: the API's limits must not stick to it.
    expect(await setting('max_execution_time')).toBe('0');
    expect(await setting('max_memory_usage')).toBe('0');
  });

  it('stops a query at its memory limit before the process grows by more than the limit', async () => {
    const db = limitedDb(client(), DEFAULT_LIMITS);
    const { value: error, rssGrowth, ms } = await measured(() => db.rows('SELECT length(groupArray(number)) AS n FROM numbers(2000000000)', {}).catch((e: unknown) => e));
    expect((error as TokumeiError).code).toBe('TKM_QUERY_LIMIT');
    expect(rssGrowth).toBeLessThan(DEFAULT_LIMITS.memoryBytes + 100 * MB);
    expect(ms).toBeLessThan(DEFAULT_LIMITS.requestMs);
  });

  it('answers a query killed by a limit as 503 TKM_QUERY_LIMIT with Retry-After, then serves normally again', async () => {
    const tight = await buildApiApp({
      config: { apiToken: undefined, host: '127.0.0.1' }, clickhouse: client(), logger, registry: new Registry(), limits: { memoryBytes: 64 * 1024 },
    });
    try {
      const killed = await tight.inject({ method: 'GET', url: `/api/stats/breakdown?site=${SITE}&dimension=page` });
      expect(killed.statusCode, killed.body).toBe(503);
      expect(killed.headers['retry-after']).toBe('1');
      expect(killed.json<{ error: { code: string } }>().error.code).toBe('TKM_QUERY_LIMIT');
      expect(killed.body).not.toMatch(/MiB|KiB|DB::Exception|Code: 241/);
    } finally {
      await tight.close();
    }
    const response = await fetch(`${api}/api/stats/summary?site=${SITE}`);
    expect(response.status).toBe(200);
    expect((await response.json() as { pageviews: number }).pageviews).toBe(5);
  });

  it('keeps storing beacons while a slow query runs: the worker waits at most the time budget', async () => {
    const budget = 3000;
    const db = limitedDb(client(), { ...DEFAULT_LIMITS, requestMs: budget });
    const slow = measured(() => db.rows('SELECT count() FROM numbers(1000000000000) WHERE sipHash64(number) = 0', {}).catch((e: unknown) => e));
    // A pause, not a wait for a condition: the beacons must be sent once the slow query holds chDB's one session, and
    // nothing can see that it does (chDB runs one query at a time, so a probe would queue behind it).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = performance.now();
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => postBeacon(ingest, { site: SITE, url: `https://${SITE}/during/${i}`, sid: `during-${i}` })));
    expect(statuses.every((s) => s === 202)).toBe(true);
    const acceptedMs = performance.now() - sent;
    const counted = await waitUntil(() => summary(api, SITE), (s) => s.pageviews === 25, budget + 5000, 50);
    const storedMs = performance.now() - sent;
    const { value: error, ms } = await slow;
    expect((error as TokumeiError).code).toBe('TKM_QUERY_LIMIT');
    expect(ms).toBeLessThan(budget + 1500);
    expect(counted.pageviews).toBe(25);
    // Ingest never waits for ClickHouse (measured 0.9 s for 20 beacons while the query kept both cores busy); the
    // worker stores everything once the slow query is stopped (measured 3.9 s after sending).
    expect(acceptedMs).toBeLessThan(budget - 1000);
    expect(storedMs).toBeLessThan(budget + 3000);
  });
});
