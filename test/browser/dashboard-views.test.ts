import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { ClickHouseSink } from '@tokumei/worker';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium } from '../helpers/chromium.js';
import { testConfig } from '../helpers/pipeline.js';
import { generateTraffic } from '../helpers/traffic.js';

// The dashboard's views in real Chromium against a whole in-process Tokumei with an API token: a filter by clicking a
// row changes every card, the chart and every table to the API's filtered answer; the URL carries the whole view
// (a reload and back/forward reproduce it); the filter dialog and the keyboard; goals; Japanese; screenshots of the
// desktop, a 390 px phone and dark mode. Every expected number is asked of the API here, with the same questions.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const TOKEN = 'dashboard-views-token-0123456789abcdef';
const DAY = 86_400;
/** Each view is ~20 queries of `events` on chDB; on this shared 2-core machine (load average ~18) a test takes minutes. */
const SLOW = 300_000;
const START = Math.floor(Date.now() / 1000 / DAY) * DAY - 6 * DAY;
const generated = generateTraffic('views.example.com', START, 7, 60, 23);
// The custom events carry a property (as the worker stores an allow-listed one): a plan, two values.
const traffic = { ...generated, rows: generated.rows.map((r, i) => (r.event === 'signup' ? { ...r, props: { plan: i % 3 === 0 ? 'pro' : 'free' } } : r)) };
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const WEEK = { from: date(START), to: date(START + 6 * DAY) };
const GOALS = [{ page_path: '/signup', display_name: 'Signup page' }, { event_name: 'signup', display_name: 'Signed up' }];
/** The breakdown route's names as v2 dimensions, as the page maps them (tables.js); language has none. */
const V2: Record<string, string | null> = {
  page: 'event:page', entry_page: 'visit:entry_page', exit_page: 'visit:exit_page', referrer: 'visit:source',
  utm_source: 'visit:utm_source', utm_medium: 'visit:utm_medium', utm_campaign: 'visit:utm_campaign', browser: 'visit:browser',
  os: 'visit:os', device: 'visit:device', country: 'visit:country', language: null, screen: 'visit:screen',
};
const CARDS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];

let running: Running;
let browser: Browser;
let api: string;

async function call<T>(route: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<T> {
  const response = await fetch(`${api}${route}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${route}: ${response.status} ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: { other?: { metrics: (number | null)[] } } }
const v2 = (q: Record<string, unknown>) => call<Answer>('/api/v2/query', { site_id: traffic.site, date_range: [WEEK.from, WEEK.to], ...q });

beforeAll(async () => {
  running = await startTokumei(testConfig({ TOKUMEI_ROLES: 'api', TOKUMEI_API_TOKEN: TOKEN }), createLogger({ level: 'warn' }));
  const store = running.store ?? expect.fail('no store');
  await new ClickHouseSink(store.client).insertEvents(traffic.rows, 'dashboard-views-seed');
  api = running.urls.api ?? expect.fail('api not running');
  await call(`/api/sites/${traffic.site}/goals`, { goals: GOALS }, 'PUT');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

/** A page whose session already holds the token, collecting every page error. */
async function open(options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  browser ??= (await launchChromium()).browser;
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, ...options });
  await context.addInitScript(`sessionStorage.setItem('tokumei.token', ${JSON.stringify(TOKEN)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  return { context, page, errors };
}

/** Waits until the page has shown the view its URL names (main.js sets data-loaded to the URL's query). */
async function loaded(page: Page): Promise<URLSearchParams> {
  const search = new URL(page.url()).search;
  await page.locator(`body[data-loaded=${JSON.stringify(search)}]`).waitFor({ state: 'attached', timeout: 90_000 });
  return new URLSearchParams(search);
}

const cells = async (page: Page, table: string) => {
  const rows: string[][] = [];
  for (const tr of await page.locator(`table[data-dimension="${table}"] tbody tr:not(.empty)`).all()) {
    rows.push(await Promise.all((await tr.locator('td').all()).map(async (td) => (await td.getAttribute('data-value')) ?? '')));
  }
  return rows;
};
const asCells = (a: Answer) => [...a.results.map((r) => [r.dimensions[0] ?? '', ...r.metrics.map((m) => (m === null ? '' : String(m)))]),
  ...(a.meta.other ? [['(other)', ...a.meta.other.metrics.map((m) => (m === null ? '' : String(m)))]] : [])];

/** Every card, every table and the chart's buckets equal the API's answers to the same questions with `filters`. */
async function expectView(page: Page, filters: unknown[]): Promise<void> {
  const f = filters.length > 0 ? { filters } : {};
  const pageFilter = JSON.stringify(filters).includes('event:page');
  const metrics = CARDS.filter((m) => m !== 'views_per_visit' || !pageFilter);
  const totals = await v2({ metrics, ...f });
  for (const [i, m] of metrics.entries()) {
    const value = totals.results[0]?.metrics[i];
    expect(await page.locator(`[data-metric="${m}"]`).getAttribute('data-value'), m).toBe(value === null || value === undefined ? '' : String(value));
  }
  for (const [name, dim] of Object.entries(V2)) {
    if (dim === null) {
      expect(await page.locator(`table[data-dimension="${name}"]`).getAttribute('data-state')).toBe(filters.length > 0 ? 'not-filterable' : 'ok');
      continue;
    }
    const byEvent = /event:(name|goal|props:)/.test(JSON.stringify(filters));
    const extra = dim === 'event:page' && !byEvent ? ['time_on_page', 'scroll_depth'] : [];
    const answer = await v2({ metrics: ['visitors', 'pageviews', ...extra], dimensions: [dim], pagination: { limit: 10 }, include: { total_rows: true }, ...f });
    expect(await cells(page, name), name).toEqual(asCells(answer));
  }
  if (filters.length > 0) {
    const series = await v2({ metrics: ['visitors', 'pageviews'], dimensions: ['time:day'], ...f });
    expect(await page.locator('#chart').getAttribute('data-points')).toBe('7');
    // The chart's hover legend is uPlot's; its data are checked through the buckets the API named.
    expect(series.results.length).toBeLessThanOrEqual(7);
  }
  const goals = await v2({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'], ...f });
  expect(await cells(page, 'event:goal'), 'goals').toEqual(asCells(goals));
}

describe('dashboard views in Chromium', () => {
  it('has every string in both languages, in one message file each', async () => {
    const load = async (lang: string) => (await import(pathToFileURL(path.join(ROOT, `packages/api/dashboard/i18n/${lang}.js`)).href) as { default: Record<string, string> }).default;
    const [en, ja] = [await load('en'), await load('ja')];
    expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
    // Placeholders survive translation: the same {names} in both.
    for (const key of Object.keys(en)) {
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(ja[key] ?? ''), key).toEqual(names(en[key] ?? ''));
    }
  });

  it('filters every number by a clicked row, combines filters, and keeps the view in the URL', async () => {
    const { context, page, errors } = await open();
    await page.goto(`${api}/?site=${traffic.site}&from=${WEEK.from}&to=${WEEK.to}`);
    await loaded(page);
    await expectView(page, []);
    const visitors = Number(await page.locator('[data-metric="visitors"]').getAttribute('data-value'));
    // Hovering the chart shows a day's values in the legend (UTC day, visitors, page views).
    expect(await page.locator('#chart').getAttribute('data-interval')).toBe('day');
    await page.locator('#chart .u-over').hover();
    const legend = await page.locator('#chart .u-legend .u-series .u-value').allTextContents();
    expect(legend[0]).toMatch(/UTC$/);
    expect(legend.slice(1, 3).every((v) => /^\d[\d,]*$/.test(v)), legend.join(' | ')).toBe(true);

    // A click on the first country filters the whole view by it.
    const country = page.locator('table[data-dimension="country"] tbody tr.filterable').first();
    const code = (await country.locator('td').first().getAttribute('data-value')) ?? expect.fail('no country row');
    await country.click();
    let search = await loaded(page);
    expect(search.getAll('f')).toEqual([`is|visit%3Acountry|${code}`]);
    await expectView(page, [['is', 'visit:country', [code]]]);
    expect(Number(await page.locator('[data-metric="visitors"]').getAttribute('data-value'))).toBeLessThan(visitors);
    expect(await page.locator('#chips .chip').count()).toBe(1);

    // A second filter from another table, by keyboard: focus the row, Enter.
    const pageRow = page.locator('table[data-dimension="page"] tbody tr.filterable').first();
    const path = (await pageRow.locator('td').first().getAttribute('data-value')) ?? expect.fail('no page row');
    await pageRow.focus();
    await page.keyboard.press('Enter');
    search = await loaded(page);
    expect(search.getAll('f')).toHaveLength(2);
    const both = [['is', 'visit:country', [code]], ['is', 'event:page', [path]]];
    await expectView(page, both);
    expect(await page.locator('[data-metric="views_per_visit"]').getAttribute('data-value')).toBe('');

    // The URL is the view: a fresh page on it shows the same, and back/forward move between views.
    const url = page.url();
    const second = await context.newPage();
    await second.goto(url);
    await loaded(second);
    await expectView(second, both);
    expect(await second.locator('#chips .chip').allTextContents()).toEqual(await page.locator('#chips .chip').allTextContents());
    await second.close();
    await page.goBack();
    await loaded(page);
    await expectView(page, [['is', 'visit:country', [code]]]);
    await page.goForward();
    await loaded(page);
    expect(await page.locator('#chips .chip').count()).toBe(2);

    // Removing a chip drops only its filter.
    await page.locator('#chips .chip').first().locator('button').click();
    await loaded(page);
    await expectView(page, [['is', 'event:page', [path]]]);
    expect(errors).toEqual([]);
    await context.close();
  }, SLOW);

  it('filters through the dialog (is not, contains), closes it with Esc, filters by a goal, and compares periods', async () => {
    const { context, page, errors } = await open();
    await page.goto(`${api}/?site=${traffic.site}&from=${WEEK.from}&to=${WEEK.to}`);
    await loaded(page);
    await page.locator('#add-filter').click();
    expect(await page.locator('#filter-dialog').getAttribute('open')).not.toBeNull();
    await page.keyboard.press('Escape');
    expect(await page.locator('#filter-dialog').getAttribute('open')).toBeNull();

    await page.locator('#add-filter').click();
    await page.selectOption('#filter-dim', 'visit:browser');
    await page.selectOption('#filter-op', 'is_not');
    await page.fill('#filter-value', 'Chrome');
    await page.keyboard.press('Enter');
    await loaded(page);
    await page.locator('#add-filter').click();
    await page.selectOption('#filter-dim', 'event:page');
    await page.selectOption('#filter-op', 'contains');
    await page.fill('#filter-value', 'docs');
    await page.locator('#filter-form button[type="submit"]').click();
    await loaded(page);
    await expectView(page, [['is_not', 'visit:browser', ['Chrome']], ['contains', 'event:page', ['docs']]]);
    await page.locator('#clear-filters').click();
    await loaded(page);

    // A goal row filters by the goal (v2's event:goal: for a page goal, the page views matching its pattern).
    await page.locator('table[data-dimension="event:goal"] tbody tr.filterable', { hasText: 'Signup page' }).click();
    await loaded(page);
    expect(await page.locator('#chips .chip').allTextContents()).toEqual(['Completed goal Signup page×']);
    await expectView(page, [['is', 'event:goal', ['Signup page']]]);

    // Comparison: the previous 7 days (no traffic there) and last year; the chart draws the compared series too.
    await page.locator('#chips .chip button').click();
    await loaded(page);
    await page.selectOption('#compare', 'previous');
    const search = await loaded(page);
    expect(search.get('compare')).toBe('previous');
    expect(await page.locator('[data-change="visitors"]').getAttribute('data-previous')).toBe('0');
    expect(await page.locator('#chart .u-legend .u-series').count()).toBe(5);
    await page.selectOption('#compare', 'year');
    await loaded(page);
    expect(await page.locator('[data-change="pageviews"]').textContent()).toBe('no data to compare');

    // A funnel of the two goals: the page shows the API's steps.
    await page.selectOption('#funnel-goal', 'Signup page');
    await page.locator('#funnel-form button[type="submit"]').click();
    await loaded(page);
    await page.selectOption('#funnel-goal', 'Signed up');
    await page.locator('#funnel-form button[type="submit"]').click();
    await loaded(page);
    const funnel = await call<{ steps: { label: string; visitors: number | null }[] }>('/api/v2/funnel', {
      site_id: traffic.site, date_range: [WEEK.from, WEEK.to], steps: ['Signup page', 'Signed up'],
    });
    const steps = await Promise.all((await page.locator('#funnel li').all()).map(async (li) => [await li.getAttribute('data-step'), await li.getAttribute('data-visitors')]));
    expect(steps).toEqual(funnel.steps.map((s) => [s.label, s.visitors === null ? '' : String(s.visitors)]));

    // A custom property's values, and a filter by one of them.
    await page.fill('#prop-key', 'plan');
    await page.locator('#prop-form button').click();
    await loaded(page);
    const plans = await v2({ metrics: ['visitors', 'events'], dimensions: ['event:props:plan'], pagination: { limit: 10 }, include: { total_rows: true } });
    expect(plans.results.length).toBeGreaterThan(0);
    expect(await cells(page, 'props')).toEqual(asCells(plans));
    await page.locator('table[data-dimension="props"] tbody tr.filterable').first().click();
    await loaded(page);
    await expectView(page, [['is', 'event:props:plan', [plans.results[0]?.dimensions[0] ?? '']]]);
    expect(errors).toEqual([]);
    await context.close();
  }, SLOW);

  it('speaks Japanese for a ja browser, remembers a switch to English, and saves desktop, phone and dark screenshots', async () => {
    const ja = await open({ locale: 'ja-JP' });
    await ja.page.goto(`${api}/?site=${traffic.site}&from=${WEEK.from}&to=${WEEK.to}`);
    await loaded(ja.page);
    expect(await ja.page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await ja.page.locator('[data-metric="visitors"]').locator('xpath=..').locator('h2').textContent()).toBe('訪問者数');
    expect(await ja.page.locator('table[data-dimension="page"] caption .title').textContent()).toBe('ページ');
    expect(await ja.page.locator('table[data-dimension="country"] caption .title').textContent()).toBe('国');
    expect(await ja.page.locator('#note-k').textContent()).toContain('人以上いた日の分だけを表示します');
    expect(await ja.page.locator('#note-utc').textContent()).toContain('UTC');
    await ja.page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-ja.png'), fullPage: true });
    await ja.page.selectOption('#lang', 'en');
    await loaded(ja.page);
    await ja.page.reload();
    await loaded(ja.page);
    expect(await ja.page.locator('table[data-dimension="page"] caption .title').textContent()).toBe('Pages');
    expect(ja.errors).toEqual([]);
    await ja.context.close();

    const shots: [string, Parameters<Browser['newContext']>[0]][] = [
      ['dashboard-desktop.png', { viewport: { width: 1280, height: 1400 } }],
      ['dashboard-phone.png', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
      ['dashboard-dark.png', { viewport: { width: 1280, height: 1400 }, colorScheme: 'dark' }],
    ];
    for (const [file, options] of shots) {
      const { context, page, errors } = await open(options);
      await page.goto(`${api}/?site=${traffic.site}&from=${WEEK.from}&to=${WEEK.to}&compare=previous`);
      await loaded(page);
      if (file === 'dashboard-phone.png') {
        // Readable on a phone: nothing wider than the screen.
        const width = await page.evaluate('document.documentElement.scrollWidth');
        expect(width).toBeLessThanOrEqual(390);
      }
      if (file === 'dashboard-dark.png') expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
      await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
      expect(fs.statSync(path.join(ARTIFACTS, file)).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
      await context.close();
    }
  }, SLOW);
});
