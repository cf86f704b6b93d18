import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { ClickHouseSink } from '@tokumei/worker';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium } from '../helpers/chromium.js';
import { testConfig } from '../helpers/pipeline.js';
import { generateTraffic } from '../helpers/traffic.js';

// The dashboard's exports and shared links in real Chromium against a whole in-process Tokumei with an API token:
// a table's CSV download holds exactly the API's answer for the view (filters included), the ZIP is one; a shared
// link (/#share=<token>) shows its one site, keeps its token in the fragment, hides the site picker and goal
// editing, and cannot be turned to another site; a password link asks for the password first.

const TOKEN = 'dashboard-share-token-0123456789abcdef';
const DAY = 86_400;
/** Each view is ~20 queries of `events` on chDB; on this shared 2-core machine (load average ~18) a test takes minutes. */
const SLOW = 300_000;
const START = Math.floor(Date.now() / 1000 / DAY) * DAY - 6 * DAY;
const traffic = generateTraffic('share.example.com', START, 7, 50, 31);
const second = generateTraffic('second.example.com', START, 7, 20, 32);
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const WEEK = { from: date(START), to: date(START + 6 * DAY) };

let running: Running;
let browser: Browser;
let api: string;

async function call<T>(route: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; body: T }> {
  const response = await fetch(`${api}${route}`, {
    method: body === undefined ? 'GET' : 'POST', headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: { other?: { metrics: (number | null)[] } } }

beforeAll(async () => {
  running = await startTokumei(testConfig({ TOKUMEI_ROLES: 'api', TOKUMEI_API_TOKEN: TOKEN }), createLogger({ level: 'warn' }));
  const store = running.store ?? expect.fail('no store');
  await new ClickHouseSink(store.client).insertEvents([...traffic.rows, ...second.rows], 'dashboard-share-seed');
  api = running.urls.api ?? expect.fail('api not running');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

async function open(token?: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  browser ??= (await launchChromium()).browser;
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
  if (token !== undefined) await context.addInitScript(`sessionStorage.setItem('tokumei.token', ${JSON.stringify(token)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

async function loaded(page: Page): Promise<URL> {
  const url = new URL(page.url());
  await page.locator(`body[data-loaded=${JSON.stringify(url.search)}]`).waitFor({ state: 'attached', timeout: 90_000 });
  return url;
}

/** RFC 4180 as the export writes it, for these values (no quotes needed: paths, numbers, empty cells). */
const csvOf = (header: string[], rows: (string | number | null)[][]) => [header, ...rows].map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\r\n');

describe('dashboard exports and shared links in Chromium', () => {
  it("downloads a table's CSV holding the API's answer for the filtered view, and the whole view as a ZIP", async () => {
    const { context, page, errors } = await open(TOKEN);
    await page.goto(`${api}/?site=${traffic.site}&from=${WEEK.from}&to=${WEEK.to}&f=is|visit%3Adevice|desktop`);
    await loaded(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('table[data-dimension="page"] caption button.csv').click()]);
    expect(download.suggestedFilename()).toBe('pages.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    const metrics = ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth'];
    const { body } = await call<Answer>('/api/v2/query', {
      site_id: traffic.site, date_range: [WEEK.from, WEEK.to], metrics, dimensions: ['event:page'], filters: [['is', 'visit:device', ['desktop']]],
    });
    const rows = [...body.results.map((r) => [r.dimensions[0] ?? '', ...r.metrics]), ...(body.meta.other ? [['(other)', ...body.meta.other.metrics]] : [])];
    expect(rows.length).toBeGreaterThan(3);
    expect(text.replace(/\r\n$/, '')).toBe(csvOf(['name', ...metrics], rows));

    const [zip] = await Promise.all([page.waitForEvent('download'), page.locator('#export-zip').click()]);
    expect(zip.suggestedFilename()).toMatch(/^share\.example\.com_.*\.zip$/);
    expect(fs.readFileSync(await zip.path()).subarray(0, 2).toString('latin1')).toBe('PK');
    expect(errors).toEqual([]);
    await context.close();
  }, SLOW);

  it('shows a shared link its one site only, read-only, and asks for a password link\'s password', async () => {
    const made = await call<{ token: string; url: string }>(`/api/sites/${traffic.site}/shared-links`, { name: 'Team' });
    expect(made.body.token, JSON.stringify(made.body)).toEqual(expect.any(String));
    expect(made.body.url).toBe(`/#share=${made.body.token}`);

    // Asked for another site in the URL, the page shows the link's; no admin token anywhere in this browser.
    const { context, page, errors } = await open();
    await page.goto(`${api}/?site=${second.site}&from=${WEEK.from}&to=${WEEK.to}${made.body.url.slice(1)}`);
    await page.waitForURL(new RegExp(`site=${traffic.site}`));
    let url = await loaded(page);
    expect(url.searchParams.get('site')).toBe(traffic.site);
    expect(url.hash).toBe(`#share=${made.body.token}`);
    expect(await page.locator('#share-banner').getAttribute('data-site')).toBe(traffic.site);
    expect(await page.locator('#site').isVisible()).toBe(false);
    expect(await page.locator('#goal-editor').isVisible()).toBe(false);
    expect(await page.locator('#login').isVisible()).toBe(false);
    const totals = await call<Answer>('/api/v2/query', { site_id: traffic.site, date_range: [WEEK.from, WEEK.to], metrics: ['visitors', 'pageviews'] });
    expect(await page.locator('[data-metric="visitors"]').getAttribute('data-value')).toBe(String(totals.body.results[0]?.metrics[0]));

    // Filtering works in a shared view, and the token stays in the fragment.
    await page.locator('table[data-dimension="country"] tbody tr.filterable').first().click();
    url = await loaded(page);
    expect(url.searchParams.getAll('f')).toHaveLength(1);
    expect(url.hash).toBe(`#share=${made.body.token}`);

    // What the page's credentials can reach: its site, not another one nor the audit.
    const share = { 'x-tokumei-share': made.body.token };
    expect((await call('/api/v2/query', { site_id: second.site, date_range: '7d', metrics: ['visitors'] }, share)).status).toBe(403);
    expect((await call('/api/audit', undefined, share)).status).toBe(403);
    expect(errors).toEqual([]);
    await context.close();

    const locked = await call<{ token: string; url: string }>(`/api/sites/${traffic.site}/shared-links`, { name: 'Board', password: 'correct horse battery' });
    const guarded = await open();
    await guarded.page.goto(`${api}${locked.body.url}`);
    await guarded.page.locator('#share-login').waitFor({ state: 'visible' });
    await guarded.page.fill('#share-password', 'wrong password!');
    await guarded.page.locator('#share-login button').click();
    await guarded.page.locator('#error:not([hidden])').waitFor();
    await guarded.page.fill('#share-password', 'correct horse battery');
    await guarded.page.locator('#share-login button').click();
    await guarded.page.waitForURL(/\?site=/);
    await loaded(guarded.page);
    expect(await guarded.page.locator('#share-login').isVisible()).toBe(false);
    expect(await guarded.page.locator('[data-metric="visitors"]').getAttribute('data-value')).toBe(String(totals.body.results[0]?.metrics[0]));
    expect(guarded.errors).toEqual([]);
    await guarded.context.close();
  }, SLOW);
});
