import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei } from '../../apps/tokumei/src/runtime.js';
import { postBeacon, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'silent' });
const SITE = 'faults.example.com';
const DOWN_MS = 8000;

/**
 * The real chDB client, except that while `down` every insert and query fails as a ClickHouse that refuses
 * connections would (ping still answers: a server can be up and still refuse writes, e.g. too many parts).
 */
function faulty(client: ClickHouseClient) {
  const state = { down: false, refused: 0 };
  const failing = new Set<PropertyKey>(['insert', 'query', 'command', 'exec']);
  const wrapped = new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (!failing.has(property)) return method;
      return (...args: unknown[]) => {
        if (!state.down) return method(...args);
        state.refused += 1;
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (fault injected)'), { code: 'ECONNREFUSED' }));
      };
    },
  });
  return { state, wrapped };
}

async function readyz(url: string): Promise<number> {
  const response = await fetch(`${url}/readyz`);
  await response.arrayBuffer();
  return response.status;
}

describe('worker while ClickHouse fails its writes', () => {
  it('waits, retries with backoff, stores everything once ClickHouse is back, and is not ready meanwhile', async () => {
    let fault: ReturnType<typeof faulty> | undefined;
    const tokumei = await startTokumei(testConfig({ TOKUMEI_GEO: 'off' }), logger, {
      workerClient: (client) => (fault = faulty(client)).wrapped,
    });
    try {
      const ingest = tokumei.urls.ingest ?? '';
      const api = tokumei.urls.api ?? '';
      if (fault === undefined) throw new Error('the worker did not use the wrapped client');
      const { state } = fault;
      let sent = 0;
      const send = async () => {
        const status = await postBeacon(ingest, { site: SITE, url: `https://${SITE}/p/${sent % 30}`, sid: `t${sent % 50}` });
        expect(status).toBe(202);
        sent += 1;
      };
      for (let i = 0; i < 50; i += 1) await send();
      await waitUntil(() => summary(api, SITE), (s) => s.pageviews === 50, 30_000);
      expect(await readyz(ingest)).toBe(200);
      expect(await readyz(api)).toBe(200);

      state.down = true;
      const downAt = Date.now();
      const notReady = { ingest: false, api: false };
      // The outage has a set length on purpose: the worker must hold what it has and keep retrying (with backoff) for
      // that long, not just until a first retry. The 50 ms pause only paces the sending.
      while (Date.now() - downAt < DOWN_MS) {
        await Promise.all(Array.from({ length: 5 }, () => send()));
        if (state.refused > 0) {
          notReady.ingest ||= (await readyz(ingest)) === 503;
          notReady.api ||= (await readyz(api)) === 503;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The worker kept trying, without storing anything and without dropping what it holds.
      expect(state.refused).toBeGreaterThan(1);
      expect(notReady).toEqual({ ingest: true, api: true });
      const duringOutage = await summary(api, SITE);
      expect(duringOutage.pageviews).toBe(50);

      state.down = false;
      const upAt = Date.now();
      const stored = await waitUntil(() => summary(api, SITE), (s) => s.pageviews >= sent, 60_000, 200);
      const recoveredMs = Date.now() - upAt;
      await waitUntil(() => readyz(api), (status) => status === 200, 10_000);
      expect(await readyz(ingest)).toBe(200);
      // Nothing is left uncommitted on the in-process bus: everything sent was stored, nothing will be redelivered, so
      // the count is final.
      const bus = tokumei.bus.publisher();
      await waitUntil(() => Promise.resolve(bus.pending()), (pending) => pending === 0, 10_000);
      const settled = await summary(api, SITE);
      process.stdout.write(`[fault] clickhouse down ${DOWN_MS / 1000} s: sent ${sent}, stored ${settled.pageviews}, lost ${sent - settled.pageviews} `
        + `(${state.refused} writes refused; all stored ${(recoveredMs / 1000).toFixed(1)} s after ClickHouse came back)\n`);
      expect(stored.pageviews).toBe(sent);
      expect(settled.pageviews).toBe(sent);
    } finally {
      await tokumei.stop();
    }
  }, 180_000);

  // Embedded mode: the records a worker could not store when it was stopped wait in the journal for the next start.
  it('stops promptly while ClickHouse is down and stores the waiting records at the next start', async () => {
    const config = testConfig({ TOKUMEI_GEO: 'off' });
    const site = 'stop-during-fault.example.com';
    let fault: ReturnType<typeof faulty> | undefined;
    const first = await startTokumei(config, logger, { workerClient: (client) => (fault = faulty(client)).wrapped });
    let stopped = false;
    try {
      if (fault === undefined) throw new Error('the worker did not use the wrapped client');
      fault.state.down = true;
      for (let i = 0; i < 20; i += 1) expect(await postBeacon(first.urls.ingest ?? '', { site, url: `https://${site}/p/${i}` })).toBe(202);
      await waitUntil(() => Promise.resolve(fault?.state.refused ?? 0), (n) => n > 0, 10_000);
      const stopAt = Date.now();
      await first.stop();
      stopped = true;
      expect(Date.now() - stopAt).toBeLessThan(10_000);
    } finally {
      if (!stopped) await first.stop();
    }
    const second = await startTokumei(config, logger);
    try {
      const stored = await waitUntil(() => summary(second.urls.api ?? '', site), (s) => s.pageviews >= 20, 30_000);
      expect(stored.pageviews).toBe(20);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
