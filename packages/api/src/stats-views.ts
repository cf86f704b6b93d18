import type { Dimension as RouteDimension } from '@tokumei/store';
import { breakdown, type BreakdownRow } from './breakdown-queries.js';
import type { StatsDb } from './query-limits.js';
import { StatsQueries, type Bucket, type Interval, type Summary } from './stats-queries.js';
import type { TimeRange } from './time-range.js';
import type { Filter } from './query/filters.js';
import type { ParsedQuery } from './query/parse.js';
import { rollupPlan } from './query/rollups.js';
import type { Dimension, Metric } from './query/spec.js';

/**
 * `GET /api/stats/*` as views over the v2 query model (`POST /api/v2/query`): each route's query string becomes the
 * v2 question it is (a ParsedQuery), v2's planner (query/rollups.ts) says where that question is answered, and the
 * plan's numbers are put back into the route's own shape. The numbers are taken from the plan before v2 formats
 * them: the routes answer unrounded ratios (`bounceRate` 0.3529…, v2's `bounce_rate` 35) and fields v2 has no metric
 * for (`sessions`, sessions seen in the range; `bounces`), from the same query.
 *
 * Where a route means something v2 does not, it keeps its meaning with a route-only plan (RouteOnly below says why
 * for each); test/integration/stats-views.test.ts asks every route and v2 the same questions and holds the numbers
 * equal wherever both answer, so a change to either side that makes them differ fails there.
 */

/** The summary's v2 metrics; `sessions` and `bounces` have none and come from the same query. */
const SUMMARY_METRICS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit'] as const satisfies readonly Metric[];
/** A breakdown row's numbers: `sessions` is v2's `visits` (sessions that viewed the value, or started in the range for entry and exit pages). */
const BREAKDOWN_METRICS = ['visitors', 'pageviews', 'visits'] as const satisfies readonly Metric[];
/** A timeseries bucket's numbers. */
const SERIES_METRICS = ['pageviews', 'visitors', 'visits'] as const satisfies readonly Metric[];

/** Why a route question is not answered by a v2 plan. */
const ROUTE_ONLY = {
  /**
   * Referrer and utm_* breakdowns count arrivals: the page views that carried a value, so "direct" is no row (an
   * empty referrer also means "moved within the site"). v2's `visit:referrer`, `visit:utm_*` give every page view of
   * a visit its first page's value and name visits without one `Direct / None`: another question, with other numbers.
   */
  arrivals: 'counts the page views that carried a value (arrivals), where v2 counts every page view of the visit',
  /** Plausible's vocabulary has no language dimension; the rollups keep one. */
  language: 'v2 has no language dimension',
  /**
   * A timeseries is the summary's site totals per bucket: not suppressed (the summary over that hour is not either),
   * over the rollups' 25 months, every bucket answered (empty ones as zeros) up to the bucket cap (time-range.ts).
   * v2's `time:*` dimensions are groups judged by k per bucket (an hour of three visitors is withheld), read from
   * `events`, so over events retention only, and list only the named buckets.
   */
  series: 'site totals per bucket, unsuppressed like the summary, from the rollups over their 25 months, with every bucket filled',
} as const;

/** Breakdown dimensions that are a v2 dimension with the same meaning. */
const V2_DIMENSIONS: Readonly<Record<RouteDimension, Dimension | keyof typeof ROUTE_ONLY>> = {
  page: 'event:page', entry_page: 'visit:entry_page', exit_page: 'visit:exit_page', browser: 'visit:browser', os: 'visit:os',
  device: 'visit:device', country: 'visit:country', screen: 'visit:screen',
  referrer: 'arrivals', utm_source: 'arrivals', utm_medium: 'arrivals', utm_campaign: 'arrivals', language: 'language',
};

const ask = (site: string, range: TimeRange, metrics: readonly Metric[], dimensions: readonly Dimension[], limit: number, totalRows: boolean): ParsedQuery => ({
  siteId: site, metrics, range, all: false, dimensions, filters: [], orderBy: [], limit, offset: 0, totalRows,
});

/** What the rollups count, and so what a breakdown route asks of v2. */
const PAGEVIEWS: Filter = { op: 'is', property: 'event:name', values: ['pageview'], caseSensitive: true };

/** The v2 question of `GET /api/stats/summary`. */
export const summaryQuestion = (site: string, range: TimeRange): ParsedQuery => ask(site, range, SUMMARY_METRICS, [], 1, false);

/**
 * The v2 question of `GET /api/stats/breakdown`, or why there is none. `more` is v2's `total_rows` minus the rows
 * shown. The rollups hold page views only, so the question is filtered on `event:name is pageview`, which v2 answers
 * from the rollups (rollups.ts) and, asked of `events`, with the same numbers; unfiltered, v2 counts custom events too.
 */
export function breakdownQuestion(site: string, range: TimeRange, dimension: RouteDimension, limit: number): ParsedQuery | { readonly routeOnly: string } {
  const v2 = V2_DIMENSIONS[dimension];
  if (v2 in ROUTE_ONLY) return { routeOnly: ROUTE_ONLY[v2 as keyof typeof ROUTE_ONLY] };
  return { ...ask(site, range, BREAKDOWN_METRICS, [v2 as Dimension], limit, true), filters: [PAGEVIEWS] };
}

/** The v2 question closest to `GET /api/stats/timeseries` (answered differently, see ROUTE_ONLY.series); the consistency test asks it. */
export const seriesQuestion = (site: string, range: TimeRange, interval: Interval): ParsedQuery =>
  ask(site, range, SERIES_METRICS, [interval === 'hour' ? 'time:hour' : 'time:day'], 1000, false);

const span = (range: TimeRange) => ({ from: range.from.toISOString(), to: range.to.toISOString() });

interface BreakdownView {
  from: string; to: string; rows: BreakdownRow[]; folded: boolean; more: number;
}

/** The routes' answers, each through its v2 question and plan. One instance per request: its db carries the request's budget. */
export class StatsViews {
  private readonly queries: StatsQueries;

  constructor(private readonly db: StatsDb, private readonly minVisitors: number) {
    this.queries = new StatsQueries(db);
  }

  /**
   * v2 answers the unfiltered summary question (summaryQuestion) with rollups.ts' `summary` plan, which is
   * StatsQueries.summary; the route takes that plan's raw numbers. Should v2 ever plan it elsewhere, the route keeps
   * the rollups (its definitions, sessions that started and one-page bounces, are theirs) and the consistency test
   * fails, so the two cannot drift apart unnoticed.
   */
  async summary(site: string, range: TimeRange): Promise<Summary & { from: string; to: string }> {
    return { ...span(range), ...await this.queries.summary(site, range) };
  }

  /**
   * v2's `breakdown` plan where the dimension means the same (it names the rollups' dimension), else the route-only
   * plan over the same rollups (ROUTE_ONLY). Both ask for the route's `limit` (v2 pages 1,000 rows, then slices):
   * which values are named, the (other) row and `more` do not depend on it.
   */
  async breakdown(site: string, range: TimeRange, dimension: RouteDimension, limit: number): Promise<BreakdownView> {
    const question = breakdownQuestion(site, range, dimension, limit);
    const plan = 'routeOnly' in question ? undefined : rollupPlan(question);
    const { range: covered, ...result } = await breakdown(this.db, site, range, plan?.kind === 'breakdown' ? plan.dimension : dimension, limit, this.minVisitors);
    return { ...span(covered), ...result };
  }

  /** The route-only plan of ROUTE_ONLY.series. */
  async timeseries(site: string, range: TimeRange, interval: Interval): Promise<{ from: string; to: string; series: Bucket[] }> {
    return { ...span(range), series: await this.queries.timeseries(site, range, interval) };
  }
}
