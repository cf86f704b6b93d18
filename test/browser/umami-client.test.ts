import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium, startSite, type Chromium, type TestSite } from '../helpers/chromium.js';
import { dumpAllTables, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

// Umami's official client (@umami/node 0.4.0, a devDependency) is plain fetch: its ES module build runs in a page
// too. Driven in Chromium from another origin, as a site's own code would run it, against Tokumei's POST /api/send:
// application/json, so every request is preceded by a CORS preflight, which must pass for anything to be counted.

const SITE = 'shop.example.com';
const WEBSITE = '3b0f7a52-6c1e-4f0a-9d3b-5a2e8c7d1f40';
const DISTINCT_ID = 'umami-browser-distinct-5e2b';
const require = createRequire(import.meta.url);
/** The package's ES module build, byte for byte (its `module` entry, next to the CommonJS `main`). */
const CLIENT = fs.readFileSync(path.join(path.dirname(require.resolve('@umami/node')), 'index.mjs'), 'utf8');
const logger = createLogger({ level: 'warn' });

let launched: Promise<Chromium> | undefined;
const chromiumBrowser = (): Promise<Chromium> => (launched ??= launchChromium());

interface Row { event: string; path: string; screen: string; props: Record<string, string>; n: number }

describe('Umami\'s client in Chromium against /api/send', () => {
  let running: Running | undefined;
  let site: TestSite | undefined;
  const contexts: BrowserContext[] = [];
  const ingest = () => running?.urls.ingest ?? expect.fail('ingest is not running');
  const client = () => running?.store?.client ?? expect.fail('no store');

  beforeAll(async () => {
    running = await startTokumei(testConfig({
      TOKUMEI_UMAMI_WEBSITES: JSON.stringify({ [WEBSITE]: SITE }), TOKUMEI_PROPS_ALLOWLIST: `${SITE}:plan`,
    }), logger);
    site = await startSite({ '/umami.mjs': () => CLIENT }, () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>
<script type="module">
  import { Umami } from '/umami.mjs';
  // The browser sends its own user agent whatever the client sets; given here only so the client does not read process.version.
  window.umami = new Umami({ hostUrl: '${ingest()}', websiteId: '${WEBSITE}', userAgent: navigator.userAgent });
  /** What Umami's own script sends for the current page. */
  window.pageview = () => umami.track({ hostname: '${SITE}', url: location.pathname + location.search, referrer: document.referrer,
    language: navigator.language, screen: screen.width + 'x' + screen.height, title: document.title }).then((r) => r.status);
</script></head><body><h1>Example shop</h1></body></html>`);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await site?.close();
    await running?.stop();
    await (await launched?.catch(() => undefined))?.browser.close();
  });

  async function open(): Promise<{ page: Page; methods: string[] }> {
    const { browser, userAgent } = await chromiumBrowser();
    const context = await browser.newContext({ userAgent });
    contexts.push(context);
    const methods: string[] = [];
    context.on('request', (request) => {
      if (request.url() === `${ingest()}/api/send`) methods.push(request.method());
    });
    const page = await context.newPage();
    return { page, methods };
  }

  async function rows(): Promise<Row[]> {
    const result = await client().query({
      query: `SELECT event, path, screen, props, toUInt32(count()) AS n FROM events WHERE site = {site:String}
              GROUP BY event, path, screen, props ORDER BY event, path`,
      query_params: { site: SITE },
      format: 'JSONEachRow',
    });
    return result.json<Row>();
  }

  it('counts page views, an SPA navigation and a custom event with data exactly; stores nothing of identify', async () => {
    const started = Date.now();
    const before = await summary(running?.urls.api ?? '', SITE);
    const { page, methods } = await open();
    await page.goto(`${site?.url ?? expect.fail('no site')}/store/pricing`, { referer: 'https://www.example.org/' });
    await page.waitForFunction("typeof window.pageview === 'function'");
    const statuses = [
      await page.evaluate('pageview()'),
      await page.evaluate("history.pushState({}, '', '/store/checkout'); pageview()"),
      await page.evaluate("umami.track('signup', { plan: 'pro', seats: 3 }).then((r) => r.status)"),
      await page.evaluate(`umami.identify({ id: '${DISTINCT_ID}', email: 'jane.browser@example.com' }).then((r) => r.status)`),
      await page.evaluate(`umami.track({ hostname: '${SITE}', url: '/store/account', id: '${DISTINCT_ID}' }).then((r) => r.status)`),
    ];
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    // application/json from another origin: Chromium sent each POST only after /api/send's preflight allowed it
    // (playwright does not show preflights as requests), and let the page read each answer.
    expect(methods).toEqual(['POST', 'POST', 'POST', 'POST', 'POST']);

    const expected: Row[] = [
      { event: 'pageview', path: '/store/account', screen: '', props: {}, n: 1 },
      { event: 'pageview', path: '/store/checkout', screen: 'laptop', props: {}, n: 1 },
      { event: 'pageview', path: '/store/pricing', screen: 'laptop', props: {}, n: 1 },
      { event: 'signup', path: '/', screen: '', props: { plan: 'pro' }, n: 1 },
    ];
    const stored = await waitUntil(rows, (found) => found.reduce((sum, r) => sum + r.n, 0) >= 4, 15_000);
    // One ordered in-process queue: the identify call, answered before the last event, would be stored by now.
    expect(stored).toEqual(expected);
    const after = await waitUntil(() => summary(running?.urls.api ?? '', SITE), (s) => s.pageviews >= before.pageviews + 3, 10_000);
    expect(after.pageviews - before.pageviews).toBe(3);
    // One visit, made by ingest as Umami's server makes one (a visitor's clock hour): two if the test ran across the hour.
    const hours = Math.floor(Date.now() / 3_600_000) - Math.floor(started / 3_600_000) + 1;
    expect(after.sessions - before.sessions).toBeGreaterThanOrEqual(1);
    expect(after.sessions - before.sessions).toBeLessThanOrEqual(hours);
    const dump = await dumpAllTables(client());
    for (const secret of [DISTINCT_ID, 'jane.browser']) expect(dump, secret).not.toContain(secret);
  });
});
