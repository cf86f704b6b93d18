import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { ClickHouseSink } from '@tokumei/worker';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { getJson, testConfig } from '../helpers/pipeline.js';
import { generateTraffic } from '../helpers/traffic.js';

// The built-in dashboard in real Chromium against a whole in-process Tokumei: seeded pseudonymized traffic, the page
// loaded, the range changed, and every number on screen compared with what the stats API answers for that range.

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(ROOT, 'test-artifacts', 'dashboard.png');
const LAUNCH_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];
const DAY = 86_400;
const START = Math.floor(Date.now() / 1000 / DAY) * DAY - 6 * DAY;
const traffic = generateTraffic('dashboard.example.com', START, 7, 40, 11);
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const int = new Intl.NumberFormat('en-US');

let running: Running;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\``);
  running = await startTokumei(testConfig({ TOKUMEI_ROLES: 'api' }), createLogger({ level: 'warn' }));
  const store = running.store ?? expect.fail('no store');
  await new ClickHouseSink(store.client).insertEvents(traffic.rows, 'dashboard-seed');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: { other?: { metrics: (number | null)[] } } }
const CARDS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] as const;
/** The breakdown route's names as v2 dimensions, as the page maps them (dashboard/tables.js); language has none. */
const V2: Record<string, string | null> = {
  page: 'event:page', entry_page: 'visit:entry_page', exit_page: 'visit:exit_page', referrer: 'visit:source',
  utm_source: 'visit:utm_source', utm_medium: 'visit:utm_medium', utm_campaign: 'visit:utm_campaign', browser: 'visit:browser',
  os: 'visit:os', device: 'visit:device', country: 'visit:country', language: null, screen: 'visit:screen',
};

async function waitLoaded(page: Page, from: string, to: string): Promise<void> {
  // A selector, not a script: the dashboard's content security policy forbids evaluating strings, rightly.
  await page.locator(`body[data-loaded="?site=${traffic.site}&from=${from}&to=${to}"]`).waitFor({ state: 'attached', timeout: 20_000 });
}

async function v2(body: Record<string, unknown>): Promise<Answer> {
  const api = running.urls.api ?? expect.fail('api not running');
  const response = await fetch(`${api}/api/v2/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return await response.json() as Answer;
}
const text = (m: number | null | undefined) => (m === null || m === undefined ? '' : String(m));

/** Every card and every breakdown table shows exactly what the API answers for the same site and range. */
async function expectMatchesApi(page: Page, from: string, to: string): Promise<Record<(typeof CARDS)[number], number>> {
  const api = running.urls.api ?? expect.fail('api not running');
  const range = { site_id: traffic.site, date_range: [from, to] };
  const totals = await v2({ ...range, metrics: [...CARDS] });
  const summary = {} as Record<(typeof CARDS)[number], number>;
  for (const [i, metric] of CARDS.entries()) {
    const value = totals.results[0]?.metrics[i];
    summary[metric] = value ?? Number.NaN;
    expect(await page.locator(`[data-metric="${metric}"]`).getAttribute('data-value'), metric).toBe(text(value));
  }
  for (const metric of ['visitors', 'pageviews', 'visits'] as const) {
    expect(await page.locator(`[data-metric="${metric}"]`).textContent(), metric).toBe(int.format(summary[metric]));
  }
  // The tables are the API's list of dimensions, in its order (screen was once missing from a list kept here).
  const { dimensions } = await getJson<{ dimensions: { name: string; title: string }[] }>(`${api}/api/dimensions`);
  expect(dimensions.map((d) => d.name)).toContain('screen');
  const tables = await page.locator('#tables table[data-dimension]').all();
  expect(await Promise.all(tables.map((t) => t.getAttribute('data-dimension')))).toEqual(dimensions.map((d) => d.name));
  // Titled from the page's English messages (referrer is "Sources": v2's visit:source), else the API's title.
  const messages = (await import(pathToFileURL(path.join(ROOT, 'packages/api/dashboard/i18n/en.js')).href) as { default: Record<string, string> }).default;
  expect(await page.locator('#tables table[data-dimension] caption .title').allTextContents()).toEqual(dimensions.map((d) => messages[`dimTitle.${d.name}`] ?? d.title));
  for (const dimension of dimensions.map((d) => d.name)) {
    const shown: string[][] = [];
    for (const tr of await page.locator(`table[data-dimension="${dimension}"] tbody tr`).all()) {
      shown.push(await Promise.all((await tr.locator('td').all()).map(async (td) => (await td.getAttribute('data-value')) ?? '')));
    }
    const dim = V2[dimension];
    if (dim === null || dim === undefined) {
      // No v2 dimension: the breakdown route's rows, shown while nothing is filtered.
      const body = await getJson<{ rows: { value: string; visitors: number; pageviews: number }[] }>(`${api}/api/stats/breakdown?site=${traffic.site}&from=${from}&to=${to}&dimension=${dimension}&limit=10`);
      expect(shown, dimension).toEqual(body.rows.map((r) => [r.value, String(r.visitors), String(r.pageviews)]));
      continue;
    }
    const metrics = ['visitors', 'pageviews', ...(dim === 'event:page' ? ['time_on_page', 'scroll_depth'] : [])];
    const a = await v2({ ...range, metrics, dimensions: [dim], pagination: { limit: 10 }, include: { total_rows: true } });
    const expected = [...a.results.map((r) => [r.dimensions[0] ?? '', ...r.metrics.map(text)]), ...(a.meta.other ? [['(other)', ...a.meta.other.metrics.map(text)]] : [])];
    expect(shown, dimension).toEqual(expected);
  }
  return summary;
}

describe('dashboard in Chromium', () => {
  it('shows the API numbers, follows a range change, and draws the chart', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    const api = running.urls.api ?? expect.fail('api not running');

    const week = { from: date(START), to: date(START + 6 * DAY) };
    await page.goto(`${api}/?site=${traffic.site}&from=${week.from}&to=${week.to}`);
    await waitLoaded(page, week.from, week.to);
    const total = await expectMatchesApi(page, week.from, week.to);
    expect(total.pageviews).toBe(traffic.rows.filter((r) => r.site === traffic.site && r.event === 'pageview').length);
    expect(await page.locator('#chart').getAttribute('data-points')).toBe('7');
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    // other.example.com has one visitor a day: under k on every day, so the site list does not name it.
    expect(await page.locator('#site option').allTextContents()).toEqual([traffic.site]);

    // One day: the inputs change, the page refetches, the chart switches to hours.
    const day = date(START + 3 * DAY);
    await page.fill('#from', day);
    await page.fill('#to', day);
    await page.locator('#to').dispatchEvent('change');
    await waitLoaded(page, day, day);
    const one = await expectMatchesApi(page, day, day);
    expect(one.pageviews).toBeLessThan(total.pageviews);
    expect(await page.locator('#chart').getAttribute('data-points')).toBe('24');
    expect(await page.locator('#chart').getAttribute('data-interval')).toBe('hour');

    // Back to the week for the screenshot: a populated dashboard.
    await page.fill('#from', week.from);
    await page.fill('#to', week.to);
    await page.locator('#to').dispatchEvent('change');
    await waitLoaded(page, week.from, week.to);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
  });
});
