import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { AUTO_EVENTS } from '@tokumei/privacy';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { BROWSER_UA, testConfig, waitUntil } from '../helpers/pipeline.js';

// The tracker's automatic events in Chromium against the whole in-process pipeline, with the default (empty) props
// allow-list: outbound clicks store the target's host, downloads the extension, 404s nothing but the page's path,
// and beacons made by hand with the reserved names store no text.

const CHROMIUM = '/usr/bin/chromium';
const SITE = 'shop.example.com';
const logger = createLogger({ level: 'warn' });
const LAUNCH_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];
const ARRIVAL_MS = 15_000;
/** After the expected rows arrived, the window an unexpected extra beacon gets (see test/browser/tracker.test.ts). */
const SETTLE_MS = 750;
const { outbound: OUTBOUND, download: DOWNLOAD, notFound: NOT_FOUND } = AUTO_EVENTS;

/**
 * Chromium with its own user agent minus "Headless" as the browser-wide default: a beacon queued by a click that
 * leaves the page goes out after the page (and a per-page override) is gone, and the worker drops HeadlessChrome.
 */
async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\` (.ci/run does).`);
  const probe = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const agent = String(await (await probe.newPage()).evaluate('navigator.userAgent')).replace('HeadlessChrome', 'Chrome');
  await probe.close();
  return chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH_ARGS, `--user-agent=${agent}`] });
}

const LINKS = `
  <a id="out" href="https://www.example.org/users/jane?email=jane%40example.com#top">same tab</a>
  <a id="out-tab" href="https://Docs.Example.NET:8443/guide" target="_blank">new tab</a>
  <a id="out-middle" href="https://news.example.com/story">middle click</a>
  <a id="out-right" href="https://right.example.com/">right click</a>
  <a id="internal" href="/auto/links/next">internal</a>
  <a id="mail" href="mailto:jane@example.com">mail</a>
  <a id="pdf" href="/files/Report-Jane.PDF?token=abc">report</a>
  <a id="cdn" href="https://cdn.example.net/downloads/setup.zip">installer</a>
  <a id="notes" href="/files/notes.md">notes</a>`;

/** The test site: /auto/links has every kind of link, /auto/missing* answer 404 (one with data-track-404, one with a call). */
function startSite(ingestUrl: () => string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    if (pathname.startsWith('/files/')) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' }).end('file');
      return;
    }
    const missing = pathname.startsWith('/auto/missing');
    const attrs = pathname === '/auto/missing' ? ' data-track-404' : ' data-outbound data-downloads';
    const call = pathname === '/auto/missing-call'
      ? "<script>window.tokumei = window.tokumei || function () { (window.tokumei.q = window.tokumei.q || []).push(arguments); }; tokumei('404');</script>"
      : '';
    response.writeHead(missing ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>${call}
<script defer src="${ingestUrl()}/t.js" data-site="${SITE}" data-allow-localhost${attrs}></script></head>
<body>${missing ? '<h1>Not found</h1>' : LINKS}</body></html>`);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** Rows as stored; engagement rows are left out (whether a page earned one depends on how long the test took). */
interface Row { event: string; path: string; props: Record<string, string>; n: number }

let running: Running | undefined;
let site: Awaited<ReturnType<typeof startSite>> | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  running = await startTokumei(testConfig({ TOKUMEI_CONSENT_POLICY: 'count' }), logger);
  site = await startSite(() => running?.urls.ingest ?? '');
  browser = await launch();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await running?.stop();
});

const ingest = () => running?.urls.ingest ?? expect.fail('ingest is not running');
const siteUrl = (pathname: string) => `${site?.url ?? expect.fail('no test site')}${pathname}`;

async function rows(prefix: string): Promise<Row[]> {
  const client = running?.store?.client ?? expect.fail('no store');
  const result = await client.query({
    query: `SELECT event, path, any(props) AS stored, count() AS n FROM events WHERE site = {site:String} AND startsWith(path, {prefix:String})
              AND event != 'engagement'
            GROUP BY event, path, toString(props) ORDER BY event, path`,
    query_params: { site: SITE, prefix },
    format: 'JSONEachRow',
  });
  return (await result.json<{ event: string; path: string; stored: Record<string, string>; n: string | number }>())
    .map((r) => ({ event: r.event, path: r.path, props: r.stored, n: Number(r.n) }));
}

/** Waits for exactly these rows under `prefix`, then gives a late extra beacon time to show up and checks again. */
async function expectRows(prefix: string, expected: Row[]): Promise<void> {
  const total = expected.reduce((sum, row) => sum + row.n, 0);
  await waitUntil(() => rows(prefix), (found) => found.reduce((sum, row) => sum + row.n, 0) >= total, ARRIVAL_MS);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const sort = (list: Row[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  expect(sort(await rows(prefix))).toEqual(sort(expected));
}

/** A fresh context whose https:// requests (the outbound targets) are answered here, never by the network. */
async function open(): Promise<{ context: BrowserContext; page: Page; sent: Record<string, unknown>[] }> {
  const context = await (browser ?? expect.fail('no browser')).newContext();
  contexts.push(context);
  await context.route((url) => url.protocol === 'https:', (route) => route.request().url().endsWith('.zip')
    ? route.fulfill({ status: 200, headers: { 'content-type': 'application/zip', 'content-disposition': 'attachment' }, body: 'zip' })
    : route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>elsewhere</title><p>elsewhere</p>' }));
  const sent: Record<string, unknown>[] = [];
  context.on('request', (request) => {
    if (request.url() === `${ingest()}/collect`) sent.push(JSON.parse(request.postData() ?? 'null') as Record<string, unknown>);
  });
  const page = await context.newPage();
  return { context, page, sent };
}

async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction("typeof window.tokumei === 'function'");
}

describe('automatic events in Chromium', () => {
  it('stores outbound clicks as the host, downloads as the extension, and nothing for internal, mailto or right clicks', async () => {
    const { context, page, sent } = await open();
    await visit(page, siteUrl('/auto/links'));
    // How long the document's click listeners take (the tracker's among them): from a capturing listener on the
    // window (first) to a bubbling one on the window (last). The default action is never prevented.
    await page.evaluate(`window.clicks = [];
      window.addEventListener('click', () => { window.clickStart = performance.now(); }, true);
      window.addEventListener('click', (e) => { window.clicks.push({ ms: performance.now() - window.clickStart, prevented: e.defaultPrevented }); });`);
    const tab = context.waitForEvent('page');
    await page.click('#out-tab');
    await (await tab).close();
    await page.click('#out-middle', { button: 'middle' });
    await page.click('#out-right', { button: 'right' });
    await page.click('#mail');
    const downloaded = page.waitForEvent('download');
    await page.click('#pdf');
    await downloaded;
    // Ctrl: a new background tab, where the zip downloads; the click on this page is what counts.
    await page.click('#cdn', { modifiers: ['Control'] });
    const notes = page.waitForEvent('download');
    await page.click('#notes');
    await notes;
    const clicks = await page.evaluate<{ ms: number; prevented: boolean }[]>('window.clicks');
    await Promise.all([page.waitForURL('https://www.example.org/**'), page.click('#out')]);
    await page.goto(siteUrl('/auto/links'));
    await page.waitForFunction("typeof window.tokumei === 'function'");
    await Promise.all([page.waitForURL('**/auto/links/next'), page.click('#internal')]);
    await page.waitForFunction("typeof window.tokumei === 'function'");

    await expectRows('/auto/links', [
      { event: 'pageview', path: '/auto/links', props: {}, n: 2 },
      { event: 'pageview', path: '/auto/links/next', props: {}, n: 1 },
      { event: OUTBOUND, path: '/auto/links', props: { host: 'docs.example.net' }, n: 1 },
      { event: OUTBOUND, path: '/auto/links', props: { host: 'news.example.com' }, n: 1 },
      { event: OUTBOUND, path: '/auto/links', props: { host: 'www.example.org' }, n: 1 },
      { event: DOWNLOAD, path: '/auto/links', props: { ext: 'pdf' }, n: 1 },
      { event: DOWNLOAD, path: '/auto/links', props: { ext: 'zip' }, n: 1 },
    ]);
    // What left the browser: never more than the host or the extension of a link.
    const automatic = sent.filter((body) => body.event === OUTBOUND || body.event === DOWNLOAD);
    expect(automatic.map((body) => body.props)).toEqual([
      { host: 'docs.example.net' }, { host: 'news.example.com' }, { ext: 'pdf' }, { ext: 'zip' }, { host: 'www.example.org' },
    ]);
    expect(JSON.stringify(sent)).not.toMatch(/jane|token|guide|story|setup|Report/i);
    // The five clicks before the page was left (middle and right clicks fire auxclick): none prevented, none held up.
    expect(clicks.map((c) => c.prevented)).toEqual([false, false, false, false, false]);
    for (const click of clicks) expect(click.ms).toBeLessThan(50);
  });

  it('sends a 404 event for a data-track-404 page and for a tokumei("404") call, with the page view, no props', async () => {
    const { page, sent } = await open();
    await visit(page, siteUrl('/auto/missing'));
    await visit(page, siteUrl('/auto/missing-call'));
    await expectRows('/auto/missing', [
      { event: NOT_FOUND, path: '/auto/missing', props: {}, n: 1 },
      { event: NOT_FOUND, path: '/auto/missing-call', props: {}, n: 1 },
      { event: 'pageview', path: '/auto/missing', props: {}, n: 1 },
      { event: 'pageview', path: '/auto/missing-call', props: {}, n: 1 },
    ]);
    expect(sent.map((body) => body.event)).toEqual(['pageview', NOT_FOUND, 'pageview', NOT_FOUND]);
  });

  it('stores no text from hand-made beacons that use the reserved names', async () => {
    const forged: [string, Record<string, string>, Record<string, string>][] = [
      [OUTBOUND, { host: 'jane@example.com' }, { host: ':email' }],
      [OUTBOUND, { host: '198.51.100.7' }, { host: ':ip' }],
      [OUTBOUND, { host: '山田太郎' }, { host: ':value' }],
      [OUTBOUND, { host: 'ｅｘａｍｐｌｅ．ｃｏｍ' }, { host: ':value' }],
      [OUTBOUND, { host: 'jane%40example.com' }, { host: ':email' }],
      [OUTBOUND, { host: 'www.example.org/users/jane?x=1' }, { host: ':value' }],
      [OUTBOUND, { host: 'call-090-1234-5678.example.net', note: 'free text' }, { host: ':phone.example.net' }],
      [DOWNLOAD, { ext: '09012345678' }, { ext: ':phone' }],
      [DOWNLOAD, { ext: '１２３４' }, { ext: ':value' }],
      [DOWNLOAD, { ext: 'pdf', host: 'www.example.org' }, { ext: 'pdf' }],
      [NOT_FOUND, { path: '/users/jane' }, {}],
    ];
    for (const [i, [event, props]] of forged.entries()) {
      const response = await fetch(`${ingest()}/collect`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': BROWSER_UA },
        body: JSON.stringify({ site: SITE, url: `https://${SITE}/auto/forged/${i}`, event, props }),
      });
      expect(response.status).toBe(202);
    }
    await expectRows('/auto/forged/', forged.map(([event, , props], i) => ({ event, path: `/auto/forged/${i}`, props, n: 1 })));
  });
});
