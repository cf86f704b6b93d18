import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIMENSIONS, rollupDays } from '@tokumei/store';
import type { ParsedQuery } from '../../packages/api/src/query/parse.js';
import { breakdownQuestion, seriesQuestion, summaryQuestion } from '../../packages/api/src/stats-views.js';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { generateTraffic, truthBreakdown, truthSeries, truthSummary, type Range } from '../helpers/traffic.js';

// GET /api/stats/* are views over the v2 query model (packages/api/src/stats-views.ts). Every route question here is
// also asked of POST /api/v2/query, as the v2 question the view translates it to, and the numbers must be equal
// wherever both answer. The route's own numbers are held to the truth computed in TypeScript first (that is what
// stats.test.ts and stats-rollup.test.ts test in full), so a difference found here is v2's or the translation's.
// Same seeded traffic as those tests; checked live and again once the first two days are rolled up.

const DAY = 86_400;
const K = 5;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 3 * DAY;
const traffic = generateTraffic('views.example.com', START, 3, 60, 11);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const ALL: Range = { from: START, to: START + 3 * DAY };
const MIDDLE: Range = { from: START + DAY, to: START + 2 * DAY };
const EDGES: Range = { from: START + DAY - 6 * 3600, to: START + 2 * DAY + 5 * 3600 };
const q = (r: Range) => `site=${traffic.site}&from=${iso(r.from)}&to=${iso(r.to)}`;
const range = (r: Range) => ({ from: new Date(r.from * 1000), to: new Date(r.to * 1000) });

interface Answer {
  results: { metrics: (number | null)[]; dimensions: string[] }[];
  meta: { source?: string; total_rows?: number; folded?: boolean; other?: { metrics: number[] } };
}
interface Row { value: string; visitors: number; pageviews: number; sessions: number; other?: true }
interface Breakdown { rows: Row[]; folded: boolean; more: number }

let fixture: StatsFixture;

async function get<T>(url: string): Promise<T> {
  const response = await fixture.app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

/** The one filter a view's question carries (breakdowns: page views only, what the rollups hold) as a client sends it. */
const PAGEVIEWS = ['is', 'event:name', ['pageview']];

/**
 * A view's v2 question as a client sends it. `viaEvents` asks the same question of `events`: the filter twice is the
 * same set, but only the single filter is one the rollups answer. `filters` replaces the question's own.
 */
async function ask(question: ParsedQuery, viaEvents = false, filters?: unknown[]): Promise<Answer> {
  const own = question.filters.length > 0 ? [PAGEVIEWS] : [];
  const sent = filters ?? (viaEvents && own.length > 0 ? [...own, ...own] : own);
  const payload = {
    site_id: question.siteId, metrics: question.metrics, date_range: [question.range.from.toISOString(), question.range.to.toISOString()],
    dimensions: question.dimensions, pagination: { limit: question.limit }, include: { total_rows: question.totalRows },
    ...(sent.length > 0 ? { filters: sent } : {}),
  };
  const response = await fixture.app.inject({ method: 'POST', url: '/api/v2/query', payload });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Answer>();
}

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-views-', traffic.rows, { minVisitors: K, now: NOW });
});

afterAll(async () => {
  await fixture?.close();
});

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
/** The breakdown dimensions that are a v2 question (the others are route-only plans, see ROUTE_ONLY). */
const V2_BREAKDOWNS = DIMENSIONS.filter((d) => !('routeOnly' in breakdownQuestion('x', range(ALL), d, 10)));

function agree(when: string): void {
  it(`${when}: the summary is v2's summary question, the same numbers before v2 rounds them`, async () => {
    for (const r of [ALL, MIDDLE]) {
      const route = await get<Record<string, number>>(`/api/stats/summary?${q(r)}`);
      expect(route).toMatchObject({ visitors: truthSummary(traffic, r).visitors, bounces: truthSummary(traffic, r).bounces });
      const v2 = await ask(summaryQuestion(traffic.site, range(r)));
      expect(v2.meta.source).toBe('rollups');
      // visitors, visits, pageviews, bounce_rate, visit_duration, views_per_visit (summaryQuestion's order)
      expect(v2.results).toEqual([{ dimensions: [], metrics: [route.visitors, route.sessionsStarted, route.pageviews,
        Math.round((route.bounceRate ?? 0) * 100), Math.round(route.avgDuration ?? 0), round(route.viewsPerSession ?? 0, 2)] }]);
      // The same totals read from `events` (the `events` metric goes there): every day reaches k, so nothing is withheld.
      const events = await ask({ ...summaryQuestion(traffic.site, range(r)), metrics: ['visitors', 'pageviews', 'events'] });
      expect(events.meta.source).toBe('events');
      expect(events.results[0]?.metrics.slice(0, 2)).toEqual([route.visitors, route.pageviews]);
    }
  });

  it(`${when}: every breakdown that is a v2 question has v2's rows, (other), folded and more, from the rollups and from events`, async () => {
    // The rollups' question is filtered on page views; the same filter twice takes it to `events`.
    expect(V2_BREAKDOWNS).toEqual(['page', 'entry_page', 'exit_page', 'browser', 'os', 'device', 'country', 'screen']);
    for (const r of [ALL, EDGES]) {
      for (const dimension of V2_BREAKDOWNS) {
        for (const limit of [10, 3]) {
          const route = await get<Breakdown>(`/api/stats/breakdown?${q(r)}&dimension=${dimension}&limit=${limit}`);
          expect({ rows: route.rows, folded: route.folded, more: route.more }).toEqual(truthBreakdown(traffic, r, dimension, limit, K));
          const question = breakdownQuestion(traffic.site, range(r), dimension, limit) as ParsedQuery;
          const named = route.rows.filter((row) => row.other !== true);
          const other = route.rows.find((row) => row.other === true);
          for (const [source, v2] of [['rollups', await ask(question)], ['events', await ask(question, true)]] as const) {
            const what = `${dimension}, limit ${limit}, ${source}`;
            expect(v2.meta.source, what).toBe(source);
            // visitors, pageviews, visits (BREAKDOWN_METRICS): a route row's sessions are v2's visits.
            expect(v2.results, what).toEqual(named.map((row) => ({ dimensions: [row.value], metrics: [row.visitors, row.pageviews, row.sessions] })));
            expect(v2.meta.other?.metrics, what).toEqual(other === undefined ? undefined : [other.visitors, other.pageviews, other.sessions]);
            expect([v2.meta.folded, (v2.meta.total_rows ?? 0) - named.length], what).toEqual([route.folded, route.more]);
          }
        }
      }
    }
  });

  it(`${when}: unfiltered, a v2 breakdown counts custom events too, so with custom events in range it is not the rollups' answer`, async () => {
    for (const dimension of ['page', 'browser'] as const) {
      const question = { ...breakdownQuestion(traffic.site, range(ALL), dimension, 10) as ParsedQuery, filters: [] };
      const unfiltered = await ask(question, false, []);
      expect(unfiltered.meta.source, dimension).toBe('events');
      // A filter that keeps every event is the same question, asked of `events` for certain.
      const everything = await ask(question, false, [['is_not', 'event:name', ['no-such-event']]]);
      expect(unfiltered.results, dimension).toEqual(everything.results);
    }
    const pages = await ask({ ...breakdownQuestion(traffic.site, range(ALL), 'page', 10) as ParsedQuery, filters: [] }, false, []);
    const views = await ask(breakdownQuestion(traffic.site, range(ALL), 'page', 10) as ParsedQuery);
    // The traffic has custom events on pages their visitors did not view: the two questions differ, as they should.
    expect(pages.results).not.toEqual(views.results);
  });

  it(`${when}: a timeseries bucket v2 names has v2's numbers; v2 withholds only buckets below k (the route answers them all)`, async () => {
    for (const [r, interval] of [[ALL, 'day'], [ALL, 'hour'], [MIDDLE, 'hour']] as const) {
      const route = await get<{ series: { time: string; pageviews: number; visitors: number; sessions: number }[] }>(
        `/api/stats/timeseries?${q(r)}&interval=${interval}`);
      expect(route.series).toEqual(truthSeries(traffic, r, interval === 'day' ? DAY : 3600));
      const v2 = await ask(seriesQuestion(traffic.site, range(r), interval));
      expect(v2.meta.source).toBe('events');
      // v2 labels buckets '2026-03-01' (days) or '2026-03-01 09:00:00' (hours); the route ISO times.
      const label = (time: string) => (interval === 'day' ? time.slice(0, 10) : time.slice(0, 19).replace('T', ' '));
      const named = route.series.filter((b) => b.visitors >= K);
      expect(named.length, `${interval}: buckets at or above k`).toBeGreaterThan(0);
      // pageviews, visitors, visits (SERIES_METRICS): a bucket's sessions (seen in it) are v2's visits of that bucket.
      expect(v2.results, interval).toEqual(named.map((b) => ({ dimensions: [label(b.time)], metrics: [b.pageviews, b.visitors, b.sessions] })));
    }
  });
}

describe('GET /api/stats/* equal the v2 query of the same question, k = 5', () => {
  it('has traffic where the two could differ: folded values, an (other) row, buckets below k, custom events on pages', () => {
    const all = V2_BREAKDOWNS.map((d) => truthBreakdown(traffic, ALL, d, 3, K));
    expect(all.some((b) => b.folded)).toBe(true);
    expect(all.some((b) => b.rows.some((r) => r.other === true))).toBe(true);
    expect(traffic.rows.some((r) => r.event !== 'pageview' && r.path !== '')).toBe(true);
    expect(truthSeries(traffic, MIDDLE, 3600).some((b) => b.visitors > 0 && b.visitors < K)).toBe(true);
  });

  describe('live days', () => agree('live'));

  describe('rolled-up days', () => {
    it('rolls up the two days before yesterday', async () => {
      const rolled = await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW - DAY * 1000 });
      expect(rolled.filter((r) => r.site === traffic.site).map((r) => r.day)).toHaveLength(2);
    });
    agree('rolled up');
  });
});

