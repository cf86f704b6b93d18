import { breakdown } from '../breakdown-queries.js';
import { StatsQueries } from '../stats-queries.js';
import type { Filter } from './filters.js';
import { echo, metricValue, EVENTS_ONLY, OTHER, type QueryContext, type QueryResponse, type Sums } from './answer.js';
import { PAGINATION, type ParsedQuery } from './parse.js';
import type { Dimension, Metric } from './spec.js';

type BreakdownDimension = Parameters<typeof breakdown>[3];

/**
 * Dimensions whose breakdown route means what the v2 dimension means. Not referrer and utm_*: the rollups count
 * the page views that carried one (arrivals), where v2 gives every page view of the visit its first page's.
 */
const BREAKDOWNS: Partial<Record<Dimension, BreakdownDimension>> = {
  'event:page': 'page', 'visit:entry_page': 'entry_page', 'visit:exit_page': 'exit_page', 'visit:browser': 'browser',
  'visit:os': 'os', 'visit:device': 'device', 'visit:country': 'country', 'visit:screen': 'screen',
};
/** The summary's numbers (everything but custom events). */
const SUMMARY_METRICS: ReadonlySet<Metric> = new Set(['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'percentage']);
/** A breakdown row's numbers. */
const BREAKDOWN_METRICS: ReadonlySet<Metric> = new Set(['visitors', 'visits', 'pageviews', 'percentage']);

/**
 * `pageviewsOnly`: the question was filtered on `event:name is pageview`, which is what the rollups count. Unfiltered,
 * v2 counts every event of a group (a custom event on a page is that page's too, as in Plausible), so the breakdown
 * plan is exact only for a range without custom events, which the caller checks (hasCustomEvents).
 */
export type RollupPlan = { readonly kind: 'summary' } | { readonly kind: 'breakdown'; readonly dimension: BreakdownDimension; readonly pageviewsOnly: boolean };

/** The one filter the rollups can answer: the events they count. */
const isPageviewsFilter = (filters: readonly Filter[]): boolean => {
  const [only] = filters;
  return filters.length === 1 && only !== undefined && only.op === 'is' && only.property === 'event:name'
    && only.values.length === 1 && only.values[0] === 'pageview';
};

/**
 * Unfiltered questions the existing routes answer from stats_daily and the state tables, at their speed and over
 * the aggregates' retention. Only where the numbers mean the same as from `events`; in the breakdown's own order
 * (visitors, then page views), which is the events plan's default for a first metric of visitors.
 */
export function rollupPlan(q: ParsedQuery): RollupPlan | undefined {
  const pageviewsOnly = isPageviewsFilter(q.filters);
  if (q.filters.length > 0 && !(pageviewsOnly && q.dimensions.length > 0)) return undefined;
  if (q.dimensions.length === 0) return q.metrics.every((m) => SUMMARY_METRICS.has(m)) ? { kind: 'summary' } : undefined;
  const [only] = q.dimensions;
  const dimension = only === undefined || q.dimensions.length > 1 ? undefined : BREAKDOWNS[only];
  if (dimension === undefined || !q.metrics.every((m) => BREAKDOWN_METRICS.has(m)) || q.orderBy.length > 0) return undefined;
  if (q.metrics[0] !== 'visitors' && q.metrics[0] !== 'percentage') return undefined;
  return q.offset + q.limit <= PAGINATION.maxLimit ? { kind: 'breakdown', dimension, pageviewsOnly } : undefined;
}

const counts = (r: { visitors: number; sessions: number; pageviews: number }): Sums => ({
  visitors: r.visitors, visits: r.sessions, pageviews: r.pageviews, events: 0, bounces: 0, duration: 0, visit_views: 0, ...EVENTS_ONLY,
});

/** The answer from the rollups, or undefined when it cannot be exact there (a percentage of more values than it reads). */
export async function fromRollups(q: ParsedQuery, plan: RollupPlan, ctx: QueryContext, body: Record<string, unknown>): Promise<QueryResponse | undefined> {
  if (plan.kind === 'summary') {
    // The summary route's numbers; like it, site totals are not suppressed (the site list needs k already).
    const s = await new StatsQueries(ctx.db).summary(q.siteId, q.range);
    const totals: Sums = {
      visitors: s.visitors, visits: s.sessionsStarted, pageviews: s.pageviews, events: 0,
      bounces: s.bounces, duration: s.avgDuration * s.sessionsStarted, visit_views: s.viewsPerSession * s.sessionsStarted, ...EVENTS_ONLY,
    };
    return {
      results: [{ metrics: q.metrics.map((m) => metricValue(m, totals, totals.visitors)), dimensions: [] }],
      meta: { source: 'rollups', ...(q.totalRows ? { total_rows: 1 } : {}) },
      query: echo(q, q.range, body, q.dimensions),
    };
  }
  const b = await breakdown(ctx.db, q.siteId, q.range, plan.dimension, PAGINATION.maxLimit, ctx.minVisitors);
  if (b.more > 0 && q.metrics.includes('percentage')) return undefined;
  const named = b.rows.filter((r) => r.other !== true);
  const other = b.rows.find((r) => r.other === true);
  const total = named.reduce((sum, r) => sum + r.visitors, 0) + (other?.visitors ?? 0);
  const meta: Record<string, unknown> = { source: 'rollups', min_visitors: ctx.minVisitors, folded: b.folded };
  if (other !== undefined) meta.other = { metrics: q.metrics.map((m) => metricValue(m, counts(other), total)), dimensions: [OTHER] };
  if (q.totalRows) meta.total_rows = named.length + b.more;
  return {
    results: named.slice(q.offset, q.offset + q.limit).map((r) => ({ metrics: q.metrics.map((m) => metricValue(m, counts(r), total)), dimensions: [r.value] })),
    meta, query: echo(q, b.range, body, q.dimensions),
  };
}

/**
 * Whether a range holds custom events (anything but page views and engagement beacons) within events retention: one
 * index read, since `events` is ordered by (site, day, event). Beyond retention only the rollups know, and they are
 * the answer there anyway.
 */
export async function hasCustomEvents(ctx: QueryContext, site: string, range: { from: Date; to: Date }): Promise<boolean> {
  const at = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const rows = await ctx.db.rows<{ n: number | string }>(
    `SELECT count() AS n FROM (SELECT 1 FROM events WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}
       AND event NOT IN ('pageview', 'engagement') LIMIT 1)`,
    { site, from: at(range.from), to: at(range.to) });
  return Number(rows[0]?.n ?? 0) > 0;
}
