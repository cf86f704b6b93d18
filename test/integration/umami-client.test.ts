import type { ClickHouseClient } from '@clickhouse/client';
import { Umami } from '@umami/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { BROWSER_UA, dumpAllTables, postBeacon, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

/**
 * Umami's official Node client (@umami/node, a devDependency, unmodified) sending to `POST /api/send` of an embedded
 * instance (in-process bus, chDB): page views and events with data are stored exactly once each, identification
 * calls and distinct ids are not stored at all, and no identifier of either foreign format reaches ClickHouse.
 */
const logger = createLogger({ level: 'warn' });
const SITE = 'example.com';
const WEBSITE = '7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab';
/** Identifiers the clients are made to send: none may be found in any table afterwards. */
const DISTINCT_ID = 'umami-distinct-7c1f2a';
const IDENTIFY_EMAIL = 'jane.identify@example.com';
const CACHE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uSWQiOiJjYWNoZS1zZXNzaW9uLTkxZTMifQ.c2lnbmF0dXJl';

interface Row { event: string; path: string; host: string; screen: string; lang: string; props: Record<string, string>; n: number }

async function rows(client: ClickHouseClient): Promise<Row[]> {
  const result = await client.query({
    query: `SELECT event, path, host, screen, lang, props, toUInt32(count()) AS n FROM events WHERE site = {site:String}
            GROUP BY event, path, host, screen, lang, props`,
    query_params: { site: SITE },
    format: 'JSONEachRow',
  });
  const key = (r: Row) => JSON.stringify([r.event, r.path, r.host, r.props]);
  return (await result.json<Row>()).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

describe('Umami\'s @umami/node client against /api/send', () => {
  let running: Running;
  let ingest: string;
  let client: ClickHouseClient;

  beforeAll(async () => {
    running = await startTokumei(testConfig({
      TOKUMEI_UMAMI_WEBSITES: JSON.stringify({ [WEBSITE]: SITE }), TOKUMEI_PROPS_ALLOWLIST: `${SITE}:plan,seats`,
    }), logger);
    ingest = running.urls.ingest ?? expect.fail('no ingest');
    client = running.store?.client ?? expect.fail('no store');
  });
  afterAll(async () => {
    await running.stop();
  });

  it('stores its page views and events with data exactly, and nothing of identify calls or distinct ids', async () => {
    const started = Date.now();
    const umami = new Umami({ hostUrl: ingest, websiteId: WEBSITE, userAgent: BROWSER_UA });
    const before = await summary(running.urls.api ?? '', SITE);
    const page = { hostname: SITE, language: 'en-US', screen: '1920x1080', title: 'Pricing - Example', referrer: 'https://www.example.org/' };
    const responses = [
      await umami.track({ ...page, url: '/pricing?utm_source=newsletter' }),
      await umami.track({ ...page, url: '/pricing' }),
      await umami.track({ ...page, url: '/docs/start', id: DISTINCT_ID }),
      await umami.track('signup', { plan: 'pro', seats: 3 }),
      await umami.track('signup', { plan: 'team', seats: 12, note: 'not allow-listed' }),
      await umami.identify({ email: IDENTIFY_EMAIL, id: DISTINCT_ID }),
      await umami.track('Add to cart'),
    ];
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202, 202]);
    // Every answer is JSON the browser script can read, with no cache token, session or visit id in it.
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual(Array.from({ length: 7 }, () => ({})));
    // A cache token sent anyway (as Umami's browser script would after a real Umami answered) changes nothing.
    const cached = await fetch(`${ingest}/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': BROWSER_UA, 'x-umami-cache': CACHE_TOKEN },
      body: JSON.stringify({ type: 'event', payload: { website: WEBSITE, hostname: SITE, url: '/cached' } }),
    });
    expect(cached.status).toBe(202);
    // The in-process bus is one ordered queue: once this /collect beacon, accepted last, is stored, so is all the rest.
    expect(await postBeacon(ingest, { site: SITE, url: `https://${SITE}/sentinel` })).toBe(202);
    await waitUntil(() => rows(client), (found) => found.some((r) => r.path === '/sentinel'), 15_000);

    const desktop = { host: SITE, screen: 'desktop', lang: 'en-us' };
    expect(await rows(client)).toEqual([
      { event: 'Add_to_cart', path: '/', host: SITE, screen: '', lang: '', props: {}, n: 1 },
      { event: 'pageview', path: '/cached', host: SITE, screen: '', lang: '', props: {}, n: 1 },
      { event: 'pageview', path: '/docs/start', ...desktop, props: {}, n: 1 },
      { event: 'pageview', path: '/pricing', ...desktop, props: {}, n: 2 },
      { event: 'pageview', path: '/sentinel', host: SITE, screen: '', lang: '', props: {}, n: 1 },
      { event: 'signup', path: '/', host: SITE, screen: '', lang: '', props: { plan: 'pro', seats: '3' }, n: 1 },
      { event: 'signup', path: '/', host: SITE, screen: '', lang: '', props: { plan: 'team', seats: '12' }, n: 1 },
    ]);
    const after = await waitUntil(() => summary(running.urls.api ?? '', SITE), (s) => s.pageviews >= before.pageviews + 5, 10_000);
    expect(after.pageviews - before.pageviews).toBe(5);
    // One visit, made by ingest as Umami's server makes one (a visitor's clock hour): two if the test ran across the hour.
    const hours = Math.floor(Date.now() / 3_600_000) - Math.floor(started / 3_600_000) + 1;
    expect(after.sessions - before.sessions).toBeGreaterThanOrEqual(1);
    expect(after.sessions - before.sessions).toBeLessThanOrEqual(hours);

    // Nothing that identifies: not the distinct id, the identified address, the cache token or the raw user agent.
    const dump = await dumpAllTables(client);
    for (const secret of [DISTINCT_ID, IDENTIFY_EMAIL, 'jane.identify', CACHE_TOKEN, 'cache-session', BROWSER_UA, 'not allow-listed', 'Pricing - Example']) {
      expect(dump, secret).not.toContain(secret);
    }
  });

  it('refuses a website id that is not configured, with its own code', async () => {
    const stranger = new Umami({ hostUrl: ingest, websiteId: '00000000-0000-4000-8000-000000000000', userAgent: BROWSER_UA });
    const response = await stranger.track({ hostname: SITE, url: '/stranger' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'TKM_UNKNOWN_WEBSITE', message: 'the Umami website id is not one of TOKUMEI_UMAMI_WEBSITES' } });
  });
});
