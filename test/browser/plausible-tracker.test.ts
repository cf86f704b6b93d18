import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium, startSite, type Chromium, type TestSite } from '../helpers/chromium.js';
import { dumpAllTables, summary, testConfig, waitUntil, type SummaryBody } from '../helpers/pipeline.js';

// Plausible's published tracker (@plausible-analytics/tracker, a devDependency, served unmodified) in Debian's
// Chromium, its endpoint pointed at Tokumei's POST /api/event: what it sends must be stored exactly, no more, no less.

const SITE = 'shop.example.com';
const require = createRequire(import.meta.url);
/** The package's own ES module, byte for byte: no bundler between what npm ships and what the browser runs. */
const TRACKER = fs.readFileSync(require.resolve('@plausible-analytics/tracker'), 'utf8');
const ARRIVAL_MS = 15_000;
/** After the expected rows arrived, how long an unexpected extra beacon gets to show up (a window, not a wait). */
const SETTLE_MS = 750;
const logger = createLogger({ level: 'warn' });

let launched: Promise<Chromium> | undefined;
const chromiumBrowser = (): Promise<Chromium> => (launched ??= launchChromium());

/**
 * The test site: `/plausible.js` is the package's module; every other path is a page that imports it and calls
 * `init` as its README says, with the endpoint on Tokumei's ingest. Plausible's tracker ignores localhost and
 * automated browsers unless told: `captureOnLocalhost`, and `window.__plausible`, its own switch for tests.
 */
function plausibleSite(endpoint: () => string): Promise<TestSite> {
  return startSite({ '/plausible.js': () => TRACKER }, (pathname) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>
<script type="module">
  import { init } from '/plausible.js';
  window.__plausible = true;
  init({ domain: '${SITE}', endpoint: '${endpoint()}/api/event', captureOnLocalhost: true, logging: false });
</script></head>
<body><h1>Example shop</h1>${pathname.startsWith('/e/') ? '<div style="height: 4000px"></div>' : ''}</body></html>`);
}

interface Row { event: string; path: string; n: number; noSession: number; props: Record<string, string> }

describe('Plausible\'s tracker in Chromium against /api/event', () => {
  let running: Running | undefined;
  let site: TestSite | undefined;
  const contexts: BrowserContext[] = [];
  const ingest = () => running?.urls.ingest ?? expect.fail('ingest is not running');
  const client = () => running?.store?.client ?? expect.fail('no store');
  const stats = (): Promise<SummaryBody> => summary(running?.urls.api ?? '', SITE);

  beforeAll(async () => {
    // k = 1: these tests are one browser, and the v2 query names nothing below k.
    running = await startTokumei(testConfig({ TOKUMEI_PROPS_ALLOWLIST: `${SITE}:plan`, TOKUMEI_MIN_VISITORS: '1' }), logger);
    site = await plausibleSite(ingest);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await site?.close();
    await running?.stop();
    await (await launched?.catch(() => undefined))?.browser.close();
  });

  /** A fresh context with every request to /api/event recorded: its body and how it was answered. */
  async function open() {
    const { browser, userAgent } = await chromiumBrowser();
    const context = await browser.newContext({ userAgent });
    contexts.push(context);
    const sent: { body: Record<string, unknown>; contentType: string | undefined; status: Promise<number | undefined> }[] = [];
    context.on('request', (request) => {
      if (request.url() !== `${ingest()}/api/event`) return;
      sent.push({
        body: JSON.parse(request.postData() ?? 'null') as Record<string, unknown>,
        contentType: request.headers()['content-type'],
        status: request.response().then((r) => r?.status(), () => undefined),
      });
    });
    return { page: await context.newPage(), sent };
  }

  async function visit(page: Page, pathname: string, referer?: string): Promise<void> {
    await page.goto(`${site?.url ?? expect.fail('no site')}${pathname}`, referer === undefined ? {} : { referer });
    await page.waitForFunction("typeof window.plausible === 'function'");
  }

  async function rows(prefix: string): Promise<Row[]> {
    const result = await client().query({
      query: `SELECT event, path, toUInt32(count()) AS n, toUInt32(countIf(session = 0)) AS noSession, props FROM events
              WHERE site = {site:String} AND startsWith(path, {prefix:String}) GROUP BY event, path, props ORDER BY event, path`,
      query_params: { site: SITE, prefix },
      format: 'JSONEachRow',
    });
    return result.json<Row>();
  }

  /** Exactly these (event, path, count) rows under `prefix`: waits for them, then lets a late extra show up. */
  async function expectRows(prefix: string, expected: Pick<Row, 'event' | 'path' | 'n'>[]): Promise<Row[]> {
    const total = expected.reduce((sum, row) => sum + row.n, 0);
    await waitUntil(() => rows(prefix), (found) => found.reduce((sum, row) => sum + row.n, 0) >= total, ARRIVAL_MS);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const settled = await rows(prefix);
    expect(settled.map(({ event, path, n }) => ({ event, path, n }))).toEqual(expected);
    return settled;
  }

  /**
   * Page views up by exactly `pageviews`. The tracker sends no session id, so ingest makes the visit as Umami's server
   * does (one visitor in one clock hour): the file's first test starts one; the later ones, the same browser on the
   * same address, continue it. Each clock hour a test reaches into may start one more.
   */
  async function expectPageviews(before: SummaryBody, pageviews: number, started: number, first = false): Promise<void> {
    const after = await waitUntil(stats, (s) => s.pageviews >= before.pageviews + pageviews, ARRIVAL_MS);
    expect(after.pageviews - before.pageviews).toBe(pageviews);
    const newHours = Math.floor(Date.now() / 3_600_000) - Math.floor(started / 3_600_000);
    expect(after.sessions - before.sessions).toBeGreaterThanOrEqual(first ? 1 : 0);
    expect(after.sessions - before.sessions).toBeLessThanOrEqual((first ? 1 : 0) + newHours);
  }

  it('counts a page load and SPA navigations (pushState, back), with the engagement it sends on each navigation', async () => {
    const started = Date.now();
    const before = await stats();
    const { page, sent } = await open();
    await visit(page, '/p/', 'https://www.example.org/search?q=shoes');
    await page.evaluate("history.pushState({}, '', '/p/a')");
    await page.evaluate("history.pushState({}, '', '/p/b')");
    // The same path with a fragment is no new page for Plausible's tracker either.
    await page.evaluate("history.pushState({}, '', '/p/b#reviews')");
    await page.goBack(); // popstate to /p/b: the same path
    await page.goBack(); // popstate to /p/a: a page view, and the engagement of /p/b
    await page.waitForURL('**/p/a');

    const stored = await expectRows('/p/', [
      { event: 'engagement', path: '/p/', n: 1 },
      { event: 'engagement', path: '/p/a', n: 1 },
      { event: 'engagement', path: '/p/b', n: 1 },
      { event: 'pageview', path: '/p/', n: 1 },
      { event: 'pageview', path: '/p/a', n: 2 },
      { event: 'pageview', path: '/p/b', n: 1 },
    ]);
    expect(stored.every((r) => r.noSession === 0)).toBe(true);
    await expectPageviews(before, 4, started, true);
    // What left the browser: Plausible's format, text/plain (no preflight), every request answered 202.
    expect(sent.map((s) => `${String(s.body.n)} ${new URL(String(s.body.u)).pathname}`)).toEqual([
      'pageview /p/', 'engagement /p/', 'pageview /p/a', 'engagement /p/a', 'pageview /p/b', 'engagement /p/b', 'pageview /p/a',
    ]);
    expect(sent[0]?.body).toEqual({ n: 'pageview', v: 36, u: `${site?.url ?? ''}/p/`, d: SITE, r: 'https://www.example.org/search?q=shoes' });
    expect(sent.every((s) => s.contentType === 'text/plain')).toBe(true);
    expect(await Promise.all(sent.map((s) => s.status))).toEqual(sent.map(() => 202));
    const referrers = await (await client().query({
      query: "SELECT DISTINCT referrer_host FROM events WHERE site = {site:String} AND path = '/p/' AND event = 'pageview'",
      query_params: { site: SITE }, format: 'JSONEachRow',
    })).json<{ referrer_host: string }>();
    expect(referrers).toEqual([{ referrer_host: expect.stringMatching(/(^|\.)example\.org$/) as string }]);
    // The visit ingest made counts in the analysts' numbers: one visit of four page views, no bounce. (Not its entry
    // page: the load and the first navigation share a second, the stored time's precision.)
    const response = await fetch(`${running?.urls.api ?? ''}/api/v2/query`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: SITE, date_range: 'day', metrics: ['visits', 'pageviews', 'bounce_rate'],
        filters: [['contains', 'event:page', ['/p/']]] }),
    });
    const answer = await response.json() as { results: { metrics: number[]; dimensions: string[] }[] };
    if (Math.floor(Date.now() / 3_600_000) === Math.floor(started / 3_600_000)) {
      expect(answer.results).toEqual([{ metrics: [1, 4, 0], dimensions: [] }]);
    }
  });

  it('stores a custom event with its allow-listed props only, and Plausible\'s outbound and download events as Tokumei\'s', async () => {
    const started = Date.now();
    const before = await stats();
    const { page, sent } = await open();
    await visit(page, '/c/signup');
    await page.evaluate("plausible('signup', { props: { plan: 'pro', email: 'jane.doe@example.com' } })");
    // What its outboundLinks and fileDownloads options send on a click: the whole link, in props.url.
    await page.evaluate("plausible('Outbound Link: Click', { props: { url: 'https://partner.example.net/u/jane?ref=7' }, interactive: false })");
    await page.evaluate("plausible('File Download', { props: { url: 'https://cdn.example.net/files/price-list.pdf' } })");

    const stored = await expectRows('/c/', [
      { event: 'File_Download', path: '/c/signup', n: 1 },
      { event: 'Outbound_Link:_Click', path: '/c/signup', n: 1 },
      { event: 'pageview', path: '/c/signup', n: 1 },
      { event: 'signup', path: '/c/signup', n: 1 },
    ]);
    // Stored as Tokumei's own tracker's events are: the target's host, the file's extension, never the link.
    expect(stored.map((r) => r.props)).toEqual([{ ext: 'pdf' }, { host: 'partner.example.net' }, {}, { plan: 'pro' }]);
    await expectPageviews(before, 1, started);
    expect(sent.map((s) => s.body.n)).toEqual(['pageview', 'signup', 'Outbound Link: Click', 'File Download']);
    expect(await Promise.all(sent.map((s) => s.status))).toEqual([202, 202, 202, 202]);
    const dump = await dumpAllTables(client());
    for (const secret of ['jane.doe@example.com', '/u/jane', 'ref=7', 'price-list']) expect(dump, secret).not.toContain(secret);
  });

  it('stores the engagement it sends when the page is hidden: engaged time and scroll depth, and no page view', async () => {
    const before = await stats();
    const { page, sent } = await open();
    const started = Date.now();
    await visit(page, '/e/long');
    // Scroll events fire once a frame: two frames at the deepest point, then back up (the deepest is what counts).
    await page.evaluate('window.scrollTo(0, 1500); new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.evaluate('window.scrollTo(0, 200)');
    await page.waitForTimeout(3200);
    const answered = page.waitForResponse(`${ingest()}/api/event`);
    // Hidden as far as the page can tell (headless Chromium keeps every tab visible): the property and the event.
    await page.evaluate("Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }); document.dispatchEvent(new Event('visibilitychange'))");
    const wall = Date.now() - started;
    expect((await answered).status()).toBe(202);

    await expectRows('/e/', [
      { event: 'engagement', path: '/e/long', n: 1 },
      { event: 'pageview', path: '/e/long', n: 1 },
    ]);
    await expectPageviews(before, 1, started);
    expect(sent.map((s) => s.body.n)).toEqual(['pageview', 'engagement']);
    const engagement = sent[1]?.body ?? expect.fail('no engagement sent');
    expect(engagement.e).toBeGreaterThanOrEqual(3200);
    expect(engagement.e).toBeLessThanOrEqual(wall);
    expect(engagement.sd).toBeGreaterThanOrEqual(45);
    expect(engagement.sd).toBeLessThanOrEqual(60);
    const stored = await (await client().query({
      query: "SELECT engaged_ms, scroll_depth FROM events WHERE path = '/e/long' AND event = 'engagement'", format: 'JSONEachRow',
    })).json<{ engaged_ms: number; scroll_depth: number }>();
    expect(stored).toEqual([{ engaged_ms: engagement.e, scroll_depth: engagement.sd }]);
    // And the analysts' numbers: the stats API's time on page and scroll depth for the page are what the tracker sent.
    const response = await fetch(`${running?.urls.api ?? ''}/api/v2/query`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site_id: SITE, date_range: 'day', metrics: ['visitors', 'time_on_page', 'scroll_depth'], filters: [['is', 'event:page', ['/e/long']]] }),
    });
    expect(response.status).toBe(200);
    const answer = await response.json() as { results: unknown[] };
    expect(answer.results).toEqual([{ metrics: [1, Math.round(Number(engagement.e) / 1000), engagement.sd], dimensions: [] }]);
  });
});
