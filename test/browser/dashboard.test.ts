import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

interface Summary { visitors: number; pageviews: number; sessions: number; bounceRate: number; viewsPerSession: number; avgDuration: number }
interface BreakdownBody { rows: { value: string; visitors: number; pageviews: number }[] }

async function waitLoaded(page: Page, from: string, to: string): Promise<void> {
  // A selector, not a script: the dashboard's content security policy forbids evaluating strings, rightly.
  await page.locator(`body[data-loaded="${traffic.site}|${from}|${to}"]`).waitFor({ state: 'attached', timeout: 20_000 });
}

/** Every card and every breakdown table shows exactly what the API answers for the same site and range. */
async function expectMatchesApi(page: Page, from: string, to: string): Promise<Summary> {
  const api = running.urls.api ?? expect.fail('api not running');
  const query = `site=${traffic.site}&from=${from}&to=${to}`;
  const summary = await getJson<Summary>(`${api}/api/stats/summary?${query}`);
  for (const metric of ['visitors', 'pageviews', 'sessions', 'bounceRate', 'viewsPerSession', 'avgDuration'] as const) {
    const card = page.locator(`[data-metric="${metric}"]`);
    expect(Number(await card.getAttribute('data-value')), metric).toBe(summary[metric]);
  }
  for (const metric of ['visitors', 'pageviews', 'sessions'] as const) {
    expect(await page.locator(`[data-metric="${metric}"]`).textContent(), metric).toBe(int.format(summary[metric]));
  }
  // The tables are the API's list of dimensions, in its order (screen was once missing from a list kept here).
  const { dimensions } = await getJson<{ dimensions: { name: string; title: string }[] }>(`${api}/api/dimensions`);
  expect(dimensions.map((d) => d.name)).toContain('screen');
  const tables = await page.locator('table[data-dimension]').all();
  expect(await Promise.all(tables.map((t) => t.getAttribute('data-dimension')))).toEqual(dimensions.map((d) => d.name));
  expect(await page.locator('table[data-dimension] caption').allTextContents()).toEqual(dimensions.map((d) => d.title));
  for (const dimension of dimensions.map((d) => d.name)) {
    const body = await getJson<BreakdownBody>(`${api}/api/stats/breakdown?${query}&dimension=${dimension}&limit=10`);
    const shown: string[][] = [];
    for (const tr of await page.locator(`table[data-dimension="${dimension}"] tbody tr`).all()) {
      shown.push(await Promise.all((await tr.locator('td').all()).map(async (td) => (await td.getAttribute('data-value')) ?? '')));
    }
    expect(shown, dimension).toEqual(body.rows.map((r) => [r.value, String(r.visitors), String(r.pageviews)]));
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
    await page.fill('#to', day);
    await page.fill('#from', day);
    await page.locator('#from').dispatchEvent('change');
    await waitLoaded(page, day, day);
    const one = await expectMatchesApi(page, day, day);
    expect(one.pageviews).toBeLessThan(total.pageviews);
    expect(await page.locator('#chart').getAttribute('data-points')).toBe('24');

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
