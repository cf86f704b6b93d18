import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '@tokumei/privacy';
import { parseFilters } from '../../packages/api/src/query/filters.js';
import { eventsSql, type EventsQuery } from '../../packages/api/src/query/sql.js';
import { onEmpty, visitPushdown } from '../../packages/api/src/query/visit-pushdown.js';
import { generateTraffic } from '../helpers/traffic.js';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';

// The events plan with visit-pushdown.ts's fragments gives the same rows as without them, on known traffic in real
// chDB: whatever the fragments drop, the outer WHERE would have dropped. The cases mix every kind of filter the
// pushdown moves and several it must leave alone, with visit and event dimensions and visit metrics.

const DAY = 86_400;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 3 * DAY;
const SITE = 'pushdown.example.com';
const traffic = generateTraffic(SITE, START, 3, 70, 7);
const extra = (over: Partial<EventRow>): EventRow => ({
  site: SITE, ts: START + 5 * 3600, event: 'pageview', host: SITE, path: '/', query: '', referrer_host: '', utm_source: '', utm_medium: '',
  utm_campaign: '', utm_term: '', utm_content: '', session: '0', visitor: '0', salt_domain: '0', browser: 'Chrome', browser_version: '130',
  os: 'Linux', os_version: '', device: 'desktop', screen: 'desktop', country: 'DE', lang: 'de', src: 'beacon', ...over,
});
// Sessions without page views (custom events only: their visit properties are ''), and one in an import run's domain.
const rows: EventRow[] = [
  ...traffic.rows,
  ...[1, 2, 3, 4, 5, 6].map((i) => extra({ event: 'signup', path: '/signup', session: String(900 + i), visitor: String(950 + i) })),
  ...[1, 2, 3, 4, 5, 6].map((i) => extra({ path: '/docs', referrer_host: 'example.org', session: String(800 + i), visitor: String(850 + i), salt_domain: '3' })),
];

let fixture: StatsFixture;
beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-pushdown-', rows, { minVisitors: 2, now: NOW });
});
afterAll(async () => {
  await fixture?.close();
});

const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');

async function answer(q: EventsQuery, pushed: boolean): Promise<unknown[]> {
  const params: Record<string, unknown> = { site: SITE, from: iso(START), to: iso(START + 3 * DAY), k: 2 };
  const sql = eventsSql(pushed ? q : { ...q, pushdown: false }, params);
  return (await fixture.store.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json();
}

const query = (metrics: string[], dimensions: string[], filters: unknown[]): EventsQuery =>
  ({ metrics, dimensions, filters: parseFilters(filters), orderBy: [], limit: 50, offset: 0, goals: [] }) as unknown as EventsQuery;

const COUNTS = ['visitors', 'pageviews', 'events'];
const VISITS = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit'];
const CASES: [string, EventsQuery][] = [
  ['pages of a source', query(COUNTS, ['event:page'], [['is', 'visit:source', ['example.org']]])],
  ['pages of a campaign, visit metrics', query(VISITS, ['event:page'], [['is', 'visit:utm_campaign', ['spring']]])],
  ['pages containing', query(COUNTS, ['event:page'], [['contains', 'event:page', ['docs']]])],
  ['sources of readers of a page', query(COUNTS, ['visit:source'], [['is', 'event:page', ['/pricing']]])],
  ['sources of readers of a page, visit metrics', query(VISITS, ['visit:source'], [['is', 'event:page', ['/pricing']]])],
  ['countries of a device', query(VISITS, ['visit:country'], [['is', 'visit:device', ['mobile']]])],
  ['entry pages by exit page', query(VISITS, ['visit:entry_page'], [['is', 'visit:exit_page', ['/', '/docs']]])],
  ['entry and exit in one filter (not moved)', query(COUNTS, ['event:page'], [['and', [['is', 'visit:entry_page', ['/']], ['is', 'visit:exit_page', ['/jobs']]]]])],
  ['a negative visit filter (not moved)', query(COUNTS, ['visit:browser'], [['is_not', 'visit:source', ['example.org']]])],
  ['a visit filter true on empty (not moved)', query(COUNTS, ['event:name'], [['is', 'visit:utm_campaign', ['', 'launch']]])],
  ['custom events by a visit filter', query(COUNTS, ['event:name'], [['contains', 'visit:country', ['D']]])],
  ['event or visit (not moved)', query(COUNTS, ['event:page'], [['or', [['is', 'visit:country', ['JP']], ['is', 'event:page', ['/jobs']]]]])],
  ['several at once', query(VISITS, ['visit:country', 'event:page'], [
    ['is', 'visit:device', ['desktop']], ['contains', 'event:page', ['o']], ['not', ['is', 'visit:browser', ['Firefox']]], ['is', 'visit:exit_page', ['/', '/docs', '/about']],
  ])],
  ['case-insensitive', query(COUNTS, ['event:page'], [['contains', 'visit:source', ['EXAMPLE'], { case_sensitive: false }]])],
  ['time buckets', query(VISITS, ['time:day'], [['is', 'visit:source', ['search.example']]])],
];

describe('visit pushdown: the events plan with and without it', () => {
  it.each(CASES)('%s: the same rows', async (_, q) => {
    const pushed = await answer(q, true);
    expect(pushed).toEqual(await answer(q, false));
    expect(pushed.length).toBeGreaterThan(0);
  });

  it('moves what it can prove and leaves the rest to the outer WHERE', () => {
    const moved = (filters: unknown[]) => {
      const push = visitPushdown(parseFilters(filters), {});
      // Event filters show as their parameters (vpe…); visit filters as the HAVING (and candidates in both halves).
      return { events: /\{vpe\d/.test(push.events), visits: push.having !== '1' };
    };
    expect(moved([['is', 'visit:source', ['example.org']]])).toEqual({ events: false, visits: true });
    expect(moved([['contains', 'event:page', ['/x']]])).toEqual({ events: true, visits: false });
    expect(moved([['is_not', 'visit:source', ['example.org']]])).toEqual({ events: false, visits: false });
    expect(moved([['matches', 'visit:source', ['^ex']]])).toEqual({ events: false, visits: false });
    expect(moved([['or', [['is', 'visit:country', ['JP']], ['is', 'event:page', ['/']]]]])).toEqual({ events: false, visits: false });
    expect(moved([['and', [['is', 'visit:entry_page', ['/']], ['is', 'visit:exit_page', ['/']]]]])).toEqual({ events: false, visits: false });
    expect(moved([['is', 'visit:entry_page', ['/']], ['is', 'visit:exit_page', ['/']]])).toEqual({ events: false, visits: true });
  });

  it('keeps two plans of one query apart by their parameter prefix', () => {
    const params: Record<string, unknown> = {};
    const filters = parseFilters([['is', 'visit:source', ['a']], ['is', 'event:page', ['/b']]]);
    const one = visitPushdown(filters, params);
    const two = visitPushdown(filters.slice(1), params, 'tp');
    expect(Object.keys(params).filter((k) => k.startsWith('vp')).length).toBeGreaterThan(0);
    expect(Object.keys(params).filter((k) => k.startsWith('tp')).length).toBeGreaterThan(0);
    expect(`${two.events} ${two.visits}`).not.toMatch(/\{vp/);
    expect(`${one.events} ${one.visits} ${one.having}`).not.toMatch(/\{tp/);
  });

  it('judges a filter on a session without page views (every visit property empty)', () => {
    const on = (f: unknown) => onEmpty(parseFilters([f])[0] as never);
    expect(on(['is', 'visit:source', ['x']])).toBe(false);
    expect(on(['is', 'visit:source', ['', 'x']])).toBe(true);
    expect(on(['is_not', 'visit:source', ['x']])).toBe(true);
    expect(on(['contains', 'visit:source', ['x']])).toBe(false);
    expect(on(['contains', 'visit:source', ['']])).toBeUndefined();
    expect(on(['matches', 'visit:source', ['x']])).toBeUndefined();
    expect(on(['not', ['is', 'visit:source', ['x']]])).toBe(true);
    expect(on(['and', [['matches', 'visit:os', ['x']], ['is', 'visit:source', ['x']]]])).toBe(false);
    expect(on(['or', [['matches', 'visit:os', ['x']], ['is', 'visit:source', ['x']]]])).toBeUndefined();
  });
});
