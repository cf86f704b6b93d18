import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { ClickHouseSink } from '@tokumei/worker';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { launchChromium } from '../helpers/chromium.js';
import { testConfig } from '../helpers/pipeline.js';
import { generateTraffic } from '../helpers/traffic.js';

// A site reporting in Asia/Tokyo (TOKUMEI_SITE_TIMEZONES) in real Chromium: the unfiltered chart is the rollups' UTC
// days and says so; a filtered chart is v2's Tokyo days (three UTC days touch four Tokyo dates) and says so; the note
// names the zone and why visitors stay per UTC day, in English and Japanese.

const TOKEN = 'dashboard-timezone-token-0123456789abcdef';
const DAY = 86_400;
const SLOW = 300_000;
const START = Math.floor(Date.now() / 1000 / DAY) * DAY - 3 * DAY;
const traffic = generateTraffic('tokyo.example.com', START, 3, 40, 7);
const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const VIEW = `site=${traffic.site}&from=${date(START)}&to=${date(START + 2 * DAY)}`;
const FILTERED = `${VIEW}&f=${encodeURIComponent('contains|event:page|/')}`;

let running: Running;
let browser: Browser;
let api: string;

beforeAll(async () => {
  running = await startTokumei(testConfig({ TOKUMEI_ROLES: 'api', TOKUMEI_API_TOKEN: TOKEN, TOKUMEI_SITE_TIMEZONES: JSON.stringify({ [traffic.site]: 'Asia/Tokyo' }) }), createLogger({ level: 'warn' }));
  const store = running.store ?? expect.fail('no store');
  await new ClickHouseSink(store.client).insertEvents(traffic.rows, 'dashboard-timezone-seed');
  api = running.urls.api ?? expect.fail('api not running');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

async function show(search: string, locale = 'en-US'): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  browser ??= (await launchChromium()).browser;
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, locale });
  await context.addInitScript(`sessionStorage.setItem('tokumei.token', ${JSON.stringify(TOKEN)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${api}/?${search}`);
  const loaded = new URL(page.url()).search;
  await page.locator(`body[data-loaded=${JSON.stringify(loaded)}]`).waitFor({ state: 'attached', timeout: 120_000 });
  return { page, errors, close: () => context.close() };
}

describe('a site reporting in Asia/Tokyo', () => {
  it('labels the unfiltered chart UTC days, a filtered one Tokyo days, and explains why visitors stay per UTC day', async () => {
    const plain = await show(VIEW);
    const chart = plain.page.locator('#chart');
    expect([await chart.getAttribute('data-zone'), await chart.getAttribute('data-points')]).toEqual(['UTC', '3']);
    expect(await plain.page.locator('#chart .u-legend').textContent()).toContain('Day (UTC)');
    const note = await plain.page.locator('#note-utc').textContent();
    expect(note).toContain('This site reports in Asia/Tokyo');
    expect(note).toContain('visitors are always counted per UTC day');
    expect(plain.errors).toEqual([]);
    await plain.close();

    const filtered = await show(FILTERED);
    const tokyo = filtered.page.locator('#chart');
    expect([await tokyo.getAttribute('data-zone'), await tokyo.getAttribute('data-points')]).toEqual(['Asia/Tokyo', '4']);
    expect(await filtered.page.locator('#chart .u-legend').textContent()).toContain('Day (Asia/Tokyo)');
    expect(filtered.errors).toEqual([]);
    await filtered.close();

    const ja = await show(FILTERED, 'ja-JP');
    expect(await ja.page.locator('#chart .u-legend').textContent()).toContain('日（Asia/Tokyo）');
    expect(await ja.page.locator('#note-utc').textContent()).toContain('このサイトのレポートのタイムゾーンは Asia/Tokyo です');
    await ja.close();
  }, SLOW);
});
