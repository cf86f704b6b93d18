import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '@tokumei/privacy';
import { ENGAGED_VISIT_MS } from '@tokumei/schema';
import { rollupDays } from '@tokumei/store';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';

// Engagement in POST /api/v2/query against real chDB: time_on_page, scroll_depth, and visit_duration and bounce_rate
// that engagement beacons change. Every visit is written out below; every expected number is counted from these
// visits in TypeScript (truth(), never by ClickHouse). k = 5, the default.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const D0 = Math.floor(NOW / 1000 / DAY) * DAY - 2 * DAY;
const SITE = 'engagement.example.com';
const RANGE = [new Date(D0 * 1000).toISOString().slice(0, 10), new Date(D0 * 1000).toISOString().slice(0, 10)];

interface Beat { at: number; path: string; ms: number; scroll: number }
interface Visit { visitor: number; country: string; views: { at: number; path: string }[]; beats: Beat[] }

const visits: Visit[] = [];
const add = (from: number, to: number, v: Omit<Visit, 'visitor'>) => {
  for (let n = from; n <= to; n += 1) visits.push({ visitor: n, ...v });
};
const H = 3600;
// A: one page, read 30 s, scrolled to 80 %, beacon 5 minutes later: engaged, so no bounce, and 300 s long.
add(1, 5, { country: 'JP', views: [{ at: 9 * H, path: '/article' }], beats: [{ at: 9 * H + 300, path: '/article', ms: 30_000, scroll: 80 }] });
// B: one page, 4 s of engaged time (below ENGAGED_VISIT_MS): still a bounce, but 60 s long.
add(6, 10, { country: 'JP', views: [{ at: 10 * H, path: '/article' }], beats: [{ at: 10 * H + 60, path: '/article', ms: 4_000, scroll: 20 }] });
// C: two pages; '/' left after 40 s at 50 %; '/article' hidden once (100 %) and left later (60 %: the deepest counts).
add(11, 15, { country: 'DE', views: [{ at: 11 * H, path: '/' }, { at: 11 * H + 120, path: '/article' }], beats: [
  { at: 11 * H + 60, path: '/', ms: 40_000, scroll: 50 },
  { at: 11 * H + 600, path: '/article', ms: 200_000, scroll: 100 },
  { at: 11 * H + 720, path: '/article', ms: 10_000, scroll: 60 },
] });
// D: one person on '/secret' (below k wherever it is counted).
add(16, 16, { country: 'US', views: [{ at: 12 * H, path: '/secret' }], beats: [{ at: 12 * H + 30, path: '/secret', ms: 7_000, scroll: 30 }] });
// E: no engagement at all: a plain bounce (0 s) and a two-page visit (90 s), as before engagement existed.
add(17, 21, { country: 'DE', views: [{ at: 13 * H, path: '/' }], beats: [] });
add(22, 26, { country: 'DE', views: [{ at: 14 * H, path: '/' }, { at: 14 * H + 90, path: '/pricing' }], beats: [] });

function row(ts: number, fields: Partial<EventRow>): EventRow {
  return {
    site: SITE, ts, event: 'pageview', host: SITE, path: '/', query: '', referrer_host: '', utm_source: '', utm_medium: '', utm_campaign: '',
    utm_term: '', utm_content: '', session: '0', visitor: '0', salt_domain: '0', browser: 'Firefox', browser_version: '130', os: 'Linux',
    os_version: '', device: 'desktop', screen: 'l', country: '', lang: 'en', src: 'beacon', ...fields,
  };
}
const ids = (v: Visit) => ({ session: String(5000 + v.visitor), visitor: String(v.visitor), country: v.country });
const rows: EventRow[] = visits.flatMap((v) => [
  ...v.views.map((p) => row(D0 + p.at, { ...ids(v), path: p.path })),
  ...v.beats.map((b) => row(D0 + b.at, { ...ids(v), event: 'engagement', path: b.path, engaged_ms: b.ms, scroll_depth: b.scroll })),
]);

// ---- truth, from the visits above -------------------------------------------------------------------------------

const round = Math.round;
/** time_on_page and scroll_depth of the (visit, page) pairs that sent a beacon, for the visits and pages kept. */
function engagement(kept: Visit[], page?: string): { visitors: number; time: number | null; scroll: number | null } {
  let ms = 0;
  let scroll = 0;
  let pairs = 0;
  for (const v of kept) {
    const pages = [...new Set(v.beats.map((b) => b.path))].filter((p) => page === undefined || p === page);
    for (const p of pages) {
      const beats = v.beats.filter((b) => b.path === p);
      ms += beats.reduce((n, b) => n + b.ms, 0);
      scroll += Math.max(...beats.map((b) => b.scroll));
      pairs += 1;
    }
  }
  const visitors = kept.filter((v) => page === undefined || v.views.some((p) => p.path === page)).length;
  return { visitors, time: pairs === 0 ? null : round(ms / 1000 / pairs), scroll: pairs === 0 ? null : round(scroll / pairs) };
}
/** A visit lasts to its last page view or, when it reported engaged time, its last beacon; engaged ≥ 10 s is no bounce. */
function visitTruth(kept: Visit[]): { visits: number; bounceRate: number; duration: number } {
  const lengths = kept.map((v) => {
    const first = Math.min(...v.views.map((p) => p.at));
    const engaged = v.beats.reduce((n, b) => n + b.ms, 0);
    const last = Math.max(...v.views.map((p) => p.at), ...(engaged > 0 ? v.beats.map((b) => b.at) : []));
    return { length: last - first, bounce: v.views.length === 1 && engaged < ENGAGED_VISIT_MS };
  });
  return {
    visits: kept.length,
    bounceRate: round((lengths.filter((l) => l.bounce).length / kept.length) * 100),
    duration: round(lengths.reduce((n, l) => n + l.length, 0) / kept.length),
  };
}

// ---- the API ------------------------------------------------------------------------------------------------------

let fixture: StatsFixture;
interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: Record<string, unknown> }

async function ask(body: Record<string, unknown>, status = 200): Promise<Answer & { error?: { message: string } }> {
  const response = await fixture.app.inject({ method: 'POST', url: '/api/v2/query', payload: { site_id: SITE, date_range: RANGE, ...body } });
  expect(response.statusCode, response.body).toBe(status);
  return response.json();
}
const table = (a: Answer) => a.results.map((r) => [...r.dimensions, ...r.metrics]);

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-query-v2-engagement-', rows, { minVisitors: K, now: NOW });
});
afterAll(async () => {
  await fixture?.close();
});

describe('engagement metrics, k = 5', () => {
  it('time_on_page and scroll_depth by page: per (visit, page), the engaged time summed and the deepest scroll', async () => {
    const a = await ask({ metrics: ['visitors', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'] });
    const expected = ['/', '/article'].map((page) => {
      const e = engagement(visits, page);
      return [page, e.visitors, e.time, e.scroll];
    });
    // Both have 15 visitors and 15 page views, so the label orders them. '/': ten of its visits sent no beacon, so 40 s
    // and 50 % are the other five's; '/article': (150 + 20 + 1,050 s) / 15 = 81 s, (400 + 100 + 500) / 15 = 67 %;
    // '/pricing' has visitors but no beacon: null, not 0.
    expect(expected).toEqual([['/', 15, 40, 50], ['/article', 15, 81, 67]]);
    expect(table(a)).toEqual([...expected, ['/pricing', 5, null, null]]);
    expect(a.meta).toMatchObject({ source: 'events', folded: true }); // '/secret': one visitor
  });

  it('without dimensions, over every page; with a visit filter, the filtered visits only', async () => {
    const all = engagement(visits);
    expect(table(await ask({ metrics: ['visitors', 'time_on_page', 'scroll_depth'] }))).toEqual([[visits.length, all.time, all.scroll]]);
    const jp = visits.filter((v) => v.country === 'JP');
    const article = engagement(jp, '/article');
    expect([article.visitors, article.time, article.scroll]).toEqual([10, 17, 50]);
    expect(table(await ask({ metrics: ['visitors', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'], filters: [['is', 'visit:country', ['JP']]] })))
      .toEqual([['/article', 10, 17, 50]]);
    // An event filter on the page keeps that page's beacons.
    const de = engagement(visits.filter((v) => v.country === 'DE'), '/');
    expect(table(await ask({ metrics: ['time_on_page', 'scroll_depth'], filters: [['is', 'event:page', ['/']], ['is', 'visit:country', ['DE']]] })))
      .toEqual([[de.time, de.scroll]]);
  });

  it('a filter that selects fewer than k visitors names nothing, whatever the metric', async () => {
    const us = await ask({ metrics: ['visitors', 'time_on_page', 'scroll_depth', 'visit_duration'], filters: [['is', 'visit:country', ['US']]] });
    expect(table(us)).toEqual([[null, null, null, null]]);
    const byPage = await ask({ metrics: ['time_on_page'], dimensions: ['event:page'], filters: [['contains', 'event:page', ['secret']]] });
    expect(byPage.results).toEqual([]);
    expect(byPage.meta).toMatchObject({ folded: true });
    expect(byPage.meta.other).toBeUndefined();
  });

  it('orders by an engagement metric', async () => {
    const a = await ask({ metrics: ['time_on_page'], dimensions: ['event:page'], order_by: [['time_on_page', 'desc']] });
    expect(table(a)).toEqual([['/article', 81], ['/', 40], ['/pricing', null]]);
  });
});

describe('visit_duration and bounce_rate with engagement', () => {
  const truth = visitTruth(visits);

  it('the events plan: a visit lasts to its last engaged beacon, and 10 s of engagement is no bounce', async () => {
    // 26 visits; bounces: B (4 s), D (7 s) and E's five plain ones = 11 of 26 (42 %); A's five engaged single pages are not.
    expect(truth).toEqual({ visits: 26, bounceRate: 42, duration: round((5 * 300 + 5 * 60 + 5 * 720 + 30 + 5 * 90) / 26) });
    const a = await ask({ metrics: ['visits', 'bounce_rate', 'visit_duration'], filters: [['is_not', 'visit:country', ['XX']]] });
    expect(a.meta.source).toBe('events');
    expect(table(a)).toEqual([[truth.visits, truth.bounceRate, truth.duration]]);
    // Visits without any beacon keep the numbers they had before engagement: E alone.
    const e = visitTruth(visits.filter((v) => v.visitor >= 17));
    expect(e).toEqual({ visits: 10, bounceRate: 50, duration: 45 });
    expect(table(await ask({ metrics: ['visits', 'bounce_rate', 'visit_duration'], filters: [['is', 'visit:entry_page', ['/']], ['is', 'visit:country', ['DE']]] })))
      .toEqual([[15, round((5 / 15) * 100), round((5 * 720 + 5 * 90) / 15)]]);
  });

  it('by page: the visits that viewed it', async () => {
    const viewed = (page: string) => visitTruth(visits.filter((v) => v.views.some((p) => p.path === page)));
    const a = await ask({ metrics: ['visits', 'bounce_rate', 'visit_duration'], dimensions: ['event:page'] });
    expect(table(a)).toEqual(['/', '/article', '/pricing'].map((page) => {
      const t = viewed(page);
      return [page, t.visits, t.bounceRate, t.duration];
    }));
  });

  it('the rollup plan gives the same numbers, live and after the day is rolled up, and so does the summary route', async () => {
    const metrics = ['visitors', 'visits', 'bounce_rate', 'visit_duration'];
    const expected = [[visits.length, truth.visits, truth.bounceRate, truth.duration]];
    const live = await ask({ metrics });
    expect(live.meta.source).toBe('rollups');
    expect(table(live)).toEqual(expected);
    const summary = (await fixture.app.inject({ method: 'GET', url: `/api/stats/summary?site=${SITE}&from=${RANGE[0]}&to=${RANGE[1]}` })).json<Record<string, number>>();
    expect(summary).toMatchObject({ sessionsStarted: 26, bounces: 11 });
    await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW });
    expect(table(await ask({ metrics }))).toEqual(expected);
    const rolled = (await fixture.app.inject({ method: 'GET', url: `/api/stats/summary?site=${SITE}&from=${RANGE[0]}&to=${RANGE[1]}` })).json<Record<string, number>>();
    expect(rolled).toMatchObject({ sessionsStarted: 26, bounces: 11 });
  });
});
