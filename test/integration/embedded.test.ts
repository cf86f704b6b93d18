import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { SECRETS, dumpAllTables, postBeacon, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });

describe('embedded mode: in-process bus and chDB', () => {
  const running: Running[] = [];
  // chDB holds one data directory per process: each test stops its pipeline before the next opens another.
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
  });

  it('counts a beacon in the stats API within 2 seconds and stores no identifier', async () => {
    const config = testConfig({ TOKUMEI_TRUST_PROXY: 'true' });
    const tokumei = await startTokumei(config, logger);
    running.push(tokumei);
    const ingest = tokumei.urls.ingest ?? '';
    const api = tokumei.urls.api ?? '';

    const sentAt = Date.now();
    const status = await postBeacon(ingest, {
      site: 'example.com',
      url: `https://example.com/welcome?email=${encodeURIComponent(SECRETS.email)}&utm_source=news#section`,
      referrer: 'https://www.example.org/search?q=private+words',
      sid: SECRETS.sid,
    }, { 'user-agent': SECRETS.ua, 'x-forwarded-for': SECRETS.ips[0] });
    expect(status).toBe(202);
    const first = await waitUntil(() => summary(api, 'example.com'), (s) => s.pageviews === 1, 2000, 50);
    const latency = Date.now() - sentAt;
    expect(first).toMatchObject({ site: 'example.com', pageviews: 1, visitors: 1, sessions: 1 });
    expect(latency).toBeLessThan(2000);

    // Different clients and sessions, including IPv6 and the do-not-track signal.
    for (const [i, ip] of SECRETS.ips.entries()) {
      expect(await postBeacon(ingest, { site: 'example.com', url: `https://example.com/page-${i}`, sid: `${SECRETS.sid}-${i}` },
        { 'user-agent': SECRETS.ua, 'x-forwarded-for': ip })).toBe(202);
    }
    expect(await postBeacon(ingest, { site: 'example.com', url: 'https://example.com/dnt' }, { dnt: '1', 'x-forwarded-for': '192.0.2.44' })).toBe(202);
    const after = await waitUntil(() => summary(api, 'example.com'), (s) => s.pageviews === 5, 5000);
    // Three distinct clients (the DNT page view is counted without a visitor hash).
    expect(after).toMatchObject({ pageviews: 5, visitors: 3, sessions: 4 });

    const dump = await dumpAllTables(tokumei.store?.client ?? expect.fail('no store'));
    expect(dump).toContain('/welcome');
    expect(dump).toContain('utm_source=news');
    expect(dump).toContain('\texample.org\t');
    for (const secret of [...SECRETS.ips, '192.0.2.44', SECRETS.ua, 'TokumeiTest', SECRETS.sid, SECRETS.email, 'jane.doe', 'private', 'email=', 'section', 'www.example.org']) {
      expect(dump, `stored data contains ${secret}`).not.toContain(secret);
    }
  });

  it('keeps every beacon that got a 202 when stopped cleanly mid-stream', async () => {
    const config = testConfig();
    const first = await startTokumei(config, logger);
    const ingest = first.urls.ingest ?? '';
    // Eight clients post in a loop; once 100 beacons were accepted the process is told to stop while requests are
    // in flight. Each client stops at its first refused or failed request.
    const statuses: number[] = [];
    let stopping: Promise<void> | undefined;
    const client = async (id: number) => {
      for (let i = 0; ; i++) {
        const status = await postBeacon(ingest, { site: 'drain.example.com', url: `https://drain.example.com/p/${i % 7}`, sid: `s${id}-${i % 5}` })
          .catch(() => 0);
        statuses.push(status);
        if (status !== 202) return;
        if (statuses.length === 100) stopping = first.stop();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, id) => client(id)));
    await stopping;
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThan(0);

    const second = await startTokumei(config, logger);
    running.push(second);
    const counted = await summary(second.urls.api ?? '', 'drain.example.com');
    expect(counted.pageviews).toBe(accepted);
  });

  it('answers 400 with a JSON error code for a bad beacon and keeps serving', async () => {
    const tokumei = await startTokumei(testConfig(), logger);
    running.push(tokumei);
    const response = await fetch(`${tokumei.urls.ingest}/collect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"site":"x.example.com","url":"ftp://x"}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'TKM_INVALID_BEACON' } });
    expect(await postBeacon(tokumei.urls.ingest ?? '', { site: 'x.example.com', url: 'https://x.example.com/' })).toBe(202);
  });
});
