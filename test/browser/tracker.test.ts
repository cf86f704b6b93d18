import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type ConsentPolicy } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium, startSite, type Chromium, type TestSite } from '../helpers/chromium.js';
import { summary, testConfig, waitUntil, type SummaryBody } from '../helpers/pipeline.js';

// The tracker in a real browser (Debian's Chromium through playwright-core) against the whole in-process pipeline:
// a test site served here loads /t.js from ingest, and what the browser did must come out of the stats API and
// ClickHouse exactly, no more and no less.

const SITE = 'shop.example.com';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(ROOT, 'test-results', 'tracker.png');
const logger = createLogger({ level: 'warn' });

/** Beacons are asynchronous and the worker batches: generous for a slow CI machine, quick when things work. */
const ARRIVAL_MS = 15_000;
/**
 * After the expected rows arrived, how long an unexpected extra beacon gets to show up. A window, not a wait for a
 * condition: the extra beacon (a second send on pagehide, say) is what must not happen, and no condition shows that.
 */
const SETTLE_MS = 750;

// Launched by the first test that needs it, not in a hook: without Chromium every test then fails with the install
// hint, where a failing hook would report them as skipped. Never a skip: that would pass while testing nothing.
let launched: Promise<Chromium> | undefined;
const chromiumBrowser = (): Promise<Chromium> => (launched ??= launchChromium());
afterAll(async () => {
  await (await launched?.catch(() => undefined))?.browser.close();
});

/** The test site: every path is an HTML page that loads the tracker from ingest; /bare/* omits data-allow-localhost. */
const startTrackerSite = (ingestUrl: () => string): Promise<TestSite> => startSite({}, (pathname) => {
  const escaped = pathname.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const optIn = pathname.startsWith('/bare/') ? '' : ' data-allow-localhost';
  // /engage/* pages are long, so scroll depth means something.
  const tall = pathname.startsWith('/engage/') ? '<div id="long" style="height: 4000px"></div>' : '';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Example shop ${escaped}</title>
  <script defer src="${ingestUrl()}/t.js" data-site="${SITE}"${optIn} data-exclude="/admin/*,/preview"></script>
  <style>body { font: 16px system-ui, sans-serif; margin: 2rem; } nav a { margin-right: 1rem; }</style>
</head>
<body>
  <h1>Example shop</h1>
  <p>You are on <code>${escaped}</code>. This page loads Tokumei's tracker from ingest.</p>
  <nav><a id="pricing" href="pricing">Pricing</a><a href="/signup">Sign up</a></nav>
  ${tall}
</body>
</html>`;
});

interface SentBeacon {
  body: Record<string, unknown>;
  contentType: string | undefined;
  status: Promise<number | undefined>;
}

interface Row {
  event: string;
  path: string;
  n: number;
  noSession: number;
  noVisitor: number;
  referrers: string[];
}

/** One pipeline (chDB allows one per process at a time), its test site, and per-test browser contexts. */
function pipelineFixture(policy: ConsentPolicy) {
  let running: Running | undefined;
  let site: TestSite | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    running = await startTokumei(testConfig({ TOKUMEI_CONSENT_POLICY: policy }), logger);
    site = await startTrackerSite(() => running?.urls.ingest ?? '');
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await site?.close();
    await running?.stop();
  });

  const ingest = () => running?.urls.ingest ?? expect.fail('ingest is not running');
  const api = () => running?.urls.api ?? expect.fail('api is not running');
  const stats = (): Promise<SummaryBody> => summary(api(), SITE);

  const rows = async (prefix: string): Promise<Row[]> => {
    const client = running?.store?.client ?? expect.fail('no store');
    const result = await client.query({
      query: `SELECT event, path, count() AS n, countIf(session = 0) AS noSession, countIf(visitor = 0) AS noVisitor,
                     arraySort(groupUniqArray(referrer_host)) AS referrers
              FROM events WHERE site = {site:String} AND startsWith(path, {prefix:String})
              GROUP BY event, path ORDER BY event, path`,
      query_params: { site: SITE, prefix },
      format: 'JSONEachRow',
    });
    return (await result.json<Record<Exclude<keyof Row, 'referrers'>, string | number> & { referrers: string[] }>()).map((r) => ({
      event: String(r.event), path: String(r.path), n: Number(r.n), noSession: Number(r.noSession), noVisitor: Number(r.noVisitor),
      referrers: r.referrers,
    }));
  };

  return {
    ingestUrl: ingest,
    siteUrl: (pathname: string) => `${site?.url ?? expect.fail('test site is not running')}${pathname}`,
    stats,

    /** A fresh context (its own storage and cache) with every beacon it sends recorded. */
    async open(options: BrowserContextOptions & { initScript?: string } = {}) {
      const { initScript, ...contextOptions } = options;
      const { browser, userAgent } = await chromiumBrowser();
      const context = await browser.newContext({ userAgent, ...contextOptions });
      contexts.push(context);
      if (initScript !== undefined) await context.addInitScript(initScript);
      const beacons: SentBeacon[] = [];
      context.on('request', (request) => {
        if (request.url() !== `${ingest()}/collect`) return;
        beacons.push({
          body: JSON.parse(request.postData() ?? 'null') as Record<string, unknown>,
          contentType: request.headers()['content-type'],
          status: request.response().then((response) => response?.status(), () => undefined),
        });
      });
      const page = await context.newPage();
      return { context, page, beacons };
    },

    /** Rows of the events table under a path prefix, as ClickHouse holds them. */
    rows,
    client: () => running?.store?.client ?? expect.fail('no store'),

    /**
     * Waits for exactly `expected` (event, path, count) rows under `prefix`, then gives a late duplicate time to show
     * up and checks again: arriving is not enough, nothing more may arrive.
     */
    async expectRows(prefix: string, expected: Pick<Row, 'event' | 'path' | 'n'>[]): Promise<Row[]> {
      const total = expected.reduce((sum, row) => sum + row.n, 0);
      await waitUntil(() => rows(prefix), (found) => found.reduce((sum, row) => sum + row.n, 0) >= total, ARRIVAL_MS);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const settled = await rows(prefix);
      expect(settled.map(({ event, path: p, n }) => ({ event, path: p, n }))).toEqual(expected);
      return settled;
    },

    /** The stats API's page views went up by exactly `pageviews` (and sessions by `sessions`) since `before`. */
    async expectSummaryDelta(before: SummaryBody, delta: { pageviews: number; sessions: number; visitors?: number }) {
      const after = await waitUntil(stats, (s) => s.pageviews >= before.pageviews + delta.pageviews, ARRIVAL_MS);
      expect(after.pageviews - before.pageviews).toBe(delta.pageviews);
      expect(after.sessions - before.sessions).toBe(delta.sessions);
      if (delta.visitors !== undefined) expect(after.visitors - before.visitors).toBe(delta.visitors);
    },
  };
}

/** Navigates and waits until the deferred tracker has run (it defines `tokumei`). */
async function visit(page: Page, url: string, referer?: string): Promise<void> {
  await page.goto(url, referer === undefined ? {} : { referer });
  await page.waitForFunction("typeof window.tokumei === 'function'");
}

const DNT_SCRIPT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });";
const GPC_SCRIPT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });";

describe('tracker in Chromium, consent policy "count"', () => {
  const fixture = pipelineFixture('count');

  it('serves /t.js gzipped and cacheable, and counts a page load and a followed link as two page views of one session', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open();
    const script = page.waitForResponse(`${fixture.ingestUrl()}/t.js`);
    await visit(page, fixture.siteUrl('/load/'), 'https://www.example.org/search?q=shoes');
    const response = await script;
    expect(response.status()).toBe(200);
    expect(await response.allHeaders()).toMatchObject({
      'content-type': 'application/javascript; charset=utf-8', 'content-encoding': 'gzip', 'cache-control': expect.stringMatching(/^public, max-age=/) as string,
    });
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await Promise.all([page.waitForURL('**/load/pricing'), page.click('#pricing')]);
    await page.waitForFunction("typeof window.tokumei === 'function'");

    const rows = await fixture.expectRows('/load/', [
      { event: 'pageview', path: '/load/', n: 1 },
      { event: 'pageview', path: '/load/pricing', n: 1 },
    ]);
    expect(rows.every((r) => r.noSession === 0 && r.noVisitor === 0)).toBe(true);
    // The arrival's referrer reached storage as a host (how the host is normalised is the privacy package's business).
    expect(rows[0]?.referrers).toEqual([expect.stringMatching(/(^|\.)example\.org$/)]);
    await fixture.expectSummaryDelta(before, { pageviews: 2, sessions: 1 });

    // What left the browser: the contract's fields, text/plain (no preflight), one sid for the tab, each accepted.
    expect(beacons).toHaveLength(2);
    const [arrival, next] = beacons.map((b) => b.body);
    expect(arrival).toEqual({
      site: SITE, url: fixture.siteUrl('/load/'), referrer: 'https://www.example.org/search?q=shoes', event: 'pageview',
      sid: expect.stringMatching(/^[\da-f]{32}$/) as string, w: 1280, lang: expect.any(String) as string,
    });
    expect(next).toMatchObject({ url: fixture.siteUrl('/load/pricing'), referrer: fixture.siteUrl('/load/'), sid: arrival?.sid });
    expect(beacons.map((b) => b.contentType)).toEqual(['text/plain;charset=UTF-8', 'text/plain;charset=UTF-8']);
    expect(await Promise.all(beacons.map((b) => b.status))).toEqual([202, 202]);
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(1000);
  });

  it('counts SPA navigations: pushState twice, not a replaceState to the same URL, the back button again', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open();
    await visit(page, fixture.siteUrl('/spa'));
    await page.evaluate("history.pushState({}, '', '/spa/a')");
    await page.evaluate("history.pushState({}, '', '/spa/b')");
    await page.evaluate("history.replaceState({ step: 2 }, '', '/spa/b')");
    // A fragment is dropped by the pipeline anyway: moving to one is not a new page.
    await page.evaluate("history.pushState({}, '', '/spa/b#reviews')");
    await page.goBack(); // popstate back to /spa/b: the same page
    await page.goBack(); // popstate back to /spa/a: counted
    await page.waitForURL('**/spa/a');

    await fixture.expectRows('/spa', [
      { event: 'pageview', path: '/spa', n: 1 },
      { event: 'pageview', path: '/spa/a', n: 2 },
      { event: 'pageview', path: '/spa/b', n: 1 },
    ]);
    await fixture.expectSummaryDelta(before, { pageviews: 4, sessions: 1 });
    expect(beacons.map((b) => new URL(String(b.body.url)).pathname)).toEqual(['/spa', '/spa/a', '/spa/b', '/spa/a']);
    expect(beacons.filter((b) => 'referrer' in b.body)).toEqual([]);
  });

  it('sends a custom event with tokumei("event", name), and refuses a malformed name in the browser', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open();
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await visit(page, fixture.siteUrl('/signup'));
    await page.evaluate("tokumei('event', 'signup')");
    await page.evaluate("tokumei('event', 'not a valid name')");

    const rows = await fixture.expectRows('/signup', [
      { event: 'pageview', path: '/signup', n: 1 },
      { event: 'signup', path: '/signup', n: 1 },
    ]);
    expect(rows.every((r) => r.noSession === 0)).toBe(true);
    // Custom events are not page views.
    await fixture.expectSummaryDelta(before, { pageviews: 1, sessions: 1 });
    expect(beacons.map((b) => b.body.event)).toEqual(['pageview', 'signup']);
    expect(beacons[1]?.body.sid).toBe(beacons[0]?.body.sid);
    expect(warnings).toEqual([expect.stringContaining('tokumei: event names')]);
  });

  it('counts a DNT browser without a session id or any hash: page views up, sessions and visitors unchanged', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open({ extraHTTPHeaders: { DNT: '1' }, initScript: DNT_SCRIPT });
    await visit(page, fixture.siteUrl('/dnt'));
    expect(await page.evaluate('navigator.doNotTrack')).toBe('1');
    await page.evaluate("history.pushState({}, '', '/dnt/next')");

    const rows = await fixture.expectRows('/dnt', [
      { event: 'pageview', path: '/dnt', n: 1 },
      { event: 'pageview', path: '/dnt/next', n: 1 },
    ]);
    expect(rows.map((r) => [r.noSession, r.noVisitor])).toEqual([[1, 1], [1, 1]]);
    await fixture.expectSummaryDelta(before, { pageviews: 2, sessions: 0, visitors: 0 });
    expect(beacons).toHaveLength(2);
    for (const beacon of beacons) expect(beacon.body).not.toHaveProperty('sid');
    // Not even the random id was created.
    expect(await page.evaluate("sessionStorage.getItem('tokumei.sid')")).toBeNull();
  });

  it('sends nothing from data-exclude pages, nor from 127.0.0.1 without data-allow-localhost', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open();
    await visit(page, fixture.siteUrl('/admin/settings'));
    await visit(page, fixture.siteUrl('/preview'));
    await page.evaluate("tokumei('event', 'saved')");
    await visit(page, fixture.siteUrl('/bare/page'));
    // An SPA navigation out of an excluded area is counted: exclusion is per page.
    await visit(page, fixture.siteUrl('/admin/users'));
    await page.evaluate("history.pushState({}, '', '/excluded-test/after')");

    await fixture.expectRows('/excluded-test/', [{ event: 'pageview', path: '/excluded-test/after', n: 1 }]);
    for (const prefix of ['/admin', '/preview', '/bare']) expect(await fixture.rows(prefix), prefix).toEqual([]);
    await fixture.expectSummaryDelta(before, { pageviews: 1, sessions: 1 });
    expect(beacons.map((b) => b.body.url)).toEqual([fixture.siteUrl('/excluded-test/after')]);
  });
});

describe('engagement in Chromium', () => {
  const fixture = pipelineFixture('count');
  /** Hidden as far as the page can tell (headless Chromium keeps every tab visible): the property and the event. */
  const setVisibility = (page: Page, state: 'hidden' | 'visible') => page.evaluate(
    `Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${state}' }); document.dispatchEvent(new Event('visibilitychange'))`,
  );

  it('sends one engagement beacon when the page is hidden: visible time and scroll depth, stored, and no page view counted', async () => {
    const before = await fixture.stats();
    const { page, beacons } = await fixture.open();
    const started = Date.now();
    await visit(page, fixture.siteUrl('/engage/once'));
    // Scroll events fire once a frame, with where the page is then: two frames at the deepest point, as a reader's would.
    await page.evaluate('window.scrollTo(0, 1500); new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.evaluate('window.scrollTo(0, 200)');
    // The engaged time is what is measured here: the page stays open for it.
    await page.waitForTimeout(3200);
    const answered = page.waitForResponse(`${fixture.ingestUrl()}/collect`);
    await setVisibility(page, 'hidden');
    const wall = Date.now() - started;
    expect((await answered).status()).toBe(202);
    // Leaving after the hide adds nothing: pagehide finds no new time and no deeper scroll.
    await page.goto(`${fixture.ingestUrl()}/healthz`);

    const rows = await fixture.expectRows('/engage/once', [
      { event: 'engagement', path: '/engage/once', n: 1 },
      { event: 'pageview', path: '/engage/once', n: 1 },
    ]);
    expect(rows.every((r) => r.noSession === 0)).toBe(true);
    await fixture.expectSummaryDelta(before, { pageviews: 1, sessions: 1 });
    expect(beacons.map((b) => b.body.event)).toEqual(['pageview', 'engagement']);
    const engagement = beacons[1]?.body ?? expect.fail('no engagement beacon');
    expect(engagement).toMatchObject({ url: fixture.siteUrl('/engage/once'), sid: beacons[0]?.body.sid });
    expect(engagement.em).toBeGreaterThanOrEqual(3200);
    expect(engagement.em).toBeLessThanOrEqual(wall);
    // 1500 px scrolled in a 720 px window over a page of about 4,200 px: the deepest point, not where it ended.
    expect(engagement.sd).toBeGreaterThanOrEqual(45);
    expect(engagement.sd).toBeLessThanOrEqual(60);
    const stored = await (await fixture.client().query({
      query: "SELECT engaged_ms, scroll_depth FROM events WHERE path = '/engage/once' AND event = 'engagement'", format: 'JSONEachRow',
    })).json<{ engaged_ms: number; scroll_depth: number }>();
    expect(stored).toEqual([{ engaged_ms: engagement.em, scroll_depth: engagement.sd }]);
  });

  it('sends it on pagehide when the page is left without being hidden first', async () => {
    // Headless Chromium sends a beacon from a page being left after the page's own user-agent override is gone
    // (HeadlessChrome, which the worker rightly drops as a bot), so what the page sent is recorded in the page.
    const record = "const send = navigator.sendBeacon.bind(navigator); navigator.sendBeacon = (url, body) => { sessionStorage.setItem('sent:' + sessionStorage.length, String(body)); return send(url, body); };";
    const { page } = await fixture.open({ initScript: record });
    const started = Date.now();
    await visit(page, fixture.siteUrl('/engage/left'));
    await page.waitForTimeout(3200);
    await page.goto(`${fixture.ingestUrl()}/healthz`);
    const wall = Date.now() - started;
    await page.goBack();
    const sent = (JSON.parse(String(await page.evaluate("JSON.stringify(Object.entries(sessionStorage).filter(([k]) => k.startsWith('sent:')).sort().map(([, v]) => v))"))) as string[])
      .map((body) => JSON.parse(body) as Record<string, unknown>);
    // The page view, the engagement of leaving, and the page view of coming back.
    expect(sent.map((b) => b.event)).toEqual(['pageview', 'engagement', 'pageview']);
    expect(sent[1]?.em).toBeGreaterThanOrEqual(3200);
    expect(sent[1]?.em).toBeLessThanOrEqual(wall);
  });

  it('counts time visible, not wall time: hidden for a while, the next beacon holds only the time shown again', async () => {
    const { page, beacons } = await fixture.open();
    const started = Date.now();
    await visit(page, fixture.siteUrl('/engage/hidden'));
    await page.waitForTimeout(3100);
    const shownFor = Date.now() - started;
    await setVisibility(page, 'hidden');
    await page.waitForTimeout(2000);
    await setVisibility(page, 'visible');
    const shownAgain = Date.now();
    await page.waitForTimeout(3100);
    await setVisibility(page, 'hidden');
    const hiddenAgain = Date.now();
    await page.goto('about:blank');

    await fixture.expectRows('/engage/hidden', [
      { event: 'engagement', path: '/engage/hidden', n: 2 },
      { event: 'pageview', path: '/engage/hidden', n: 1 },
    ]);
    const times = beacons.filter((b) => b.body.event === 'engagement').map((b) => Number(b.body.em));
    expect(times).toHaveLength(2);
    expect(times[0]).toBeGreaterThanOrEqual(3100);
    expect(times[0]).toBeLessThanOrEqual(shownFor + 50);
    // The 2 s hidden are in neither beacon; pagehide after the last hide adds nothing.
    expect(times[1]).toBeGreaterThanOrEqual(3100);
    expect(times[1]).toBeLessThanOrEqual(hiddenAgain - shownAgain + 50);
  });
});

describe('tracker in Chromium, consent policy "drop"', () => {
  const fixture = pipelineFixture('drop');

  it.each([
    ['DNT', { extraHTTPHeaders: { DNT: '1' }, initScript: DNT_SCRIPT }],
    ['GPC', { extraHTTPHeaders: { 'Sec-GPC': '1' }, initScript: GPC_SCRIPT }],
  ])('a %s browser sends nothing; one without a signal is counted', async (signal, options) => {
    const before = await fixture.stats();
    const signalled = await fixture.open(options);
    await visit(signalled.page, fixture.siteUrl(`/drop/${signal}/signalled`));
    await signalled.page.evaluate(`history.pushState({}, '', '/drop/${signal}/signalled/next')`);
    await signalled.page.evaluate("tokumei('event', 'signup')");

    const plain = await fixture.open();
    await visit(plain.page, fixture.siteUrl(`/drop/${signal}/plain`));

    await fixture.expectRows(`/drop/${signal}/`, [{ event: 'pageview', path: `/drop/${signal}/plain`, n: 1 }]);
    await fixture.expectSummaryDelta(before, { pageviews: 1, sessions: 1 });
    // The browser itself held back: no request at all, not one the pipeline then dropped.
    expect(signalled.beacons).toEqual([]);
    expect(plain.beacons).toHaveLength(1);
    expect(await signalled.page.evaluate("sessionStorage.getItem('tokumei.sid')")).toBeNull();
  });
});
