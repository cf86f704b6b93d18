import type { Goal } from '@tokumei/config';
import type { TimeRange } from '../time-range.js';
import type { StatsDb } from '../query-limits.js';
import type { ParsedQuery } from './parse.js';
import type { Bucket, SumsRow } from './sql.js';
import type { Metric } from './spec.js';

const DAY = 86_400_000;
export const OTHER = '(other)';

export interface QueryContext {
  readonly db: StatsDb;
  readonly now: number;
  /** k (TOKUMEI_MIN_VISITORS). */
  readonly minVisitors: number;
  /** TOKUMEI_EVENTS_TTL_DAYS: how far back `events` (and so every filtered or broken-down answer) reaches. */
  readonly eventsTtlDays: number;
  /** The site's goals (GoalStore), read when a query asks for or filters on event:goal; none without. */
  readonly goals?: (site: string) => Promise<readonly Goal[]>;
  /** The site's reporting zone (TOKUMEI_SITE_TIMEZONES); UTC without. */
  readonly timeZone?: (site: string) => string;
}

export interface ResultRow { metrics: (number | null)[]; dimensions: string[] }

export interface QueryResponse {
  results: ResultRow[];
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

export interface Sums {
  visitors: number; visits: number; pageviews: number; events: number; bounces: number; duration: number; visit_views: number;
  /** Engaged ms, the (visit, page) pairs that sent engagement, and the sum of each pair's deepest scroll %. */
  eng_ms: number; eng_visits: number; scroll_sum: number;
  /** conversion_rate's denominator: the set's visitors (without goal and property filters) in the group's cells. */
  total: number;
}

/** The sums only the events plan has (engagement, conversion totals): zeros for a rollup answer. */
export const EVENTS_ONLY = { eng_ms: 0, eng_visits: 0, scroll_sum: 0, total: 0 } as const;

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Plausible's roundings: bounce rate, durations and scroll depth whole, views per visit and conversion rate to 2
 * decimals, percentage to 1.
 * The engagement metrics are null where no visit sent an engagement beacon (nothing measured, not a zero).
 */
export function metricValue(m: Metric, s: Sums, total: number): number | null {
  switch (m) {
    case 'visitors': case 'visits': case 'pageviews': case 'events': return s[m];
    case 'bounce_rate': return Math.round(ratio(s.bounces, s.visits) * 100);
    case 'visit_duration': return Math.round(ratio(s.duration, s.visits));
    case 'views_per_visit': return round(ratio(s.visit_views, s.visits), 2);
    case 'percentage': return round(ratio(s.visitors, total) * 100, 1);
    case 'time_on_page': return s.eng_visits === 0 ? null : Math.round(s.eng_ms / 1000 / s.eng_visits);
    case 'scroll_depth': return s.eng_visits === 0 ? null : Math.round(s.scroll_sum / s.eng_visits);
    case 'conversion_rate': return round(ratio(s.visitors, s.total) * 100, 2);
  }
}

export const sums = (r: SumsRow): Sums => ({
  visitors: Number(r.visitors), visits: Number(r.visits), pageviews: Number(r.pageviews), events: Number(r.events),
  bounces: Number(r.bounces), duration: Number(r.duration), visit_views: Number(r.visit_views),
  eng_ms: Number(r.eng_ms), eng_visits: Number(r.eng_visits), scroll_sum: Number(r.scroll_sum), total: Number(r.total),
});

export const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `time` as Plausible resolves it: hours for one day, days up to a quarter, months beyond. */
export function bucket(range: TimeRange): Bucket {
  const span = range.to.getTime() - range.from.getTime();
  return span <= DAY ? 'time:hour' : span <= 92 * DAY ? 'time:day' : 'time:month';
}

export function echo(q: ParsedQuery, range: TimeRange, body: Record<string, unknown>, dimensions: readonly string[]): Record<string, unknown> {
  return {
    site_id: q.siteId, metrics: q.metrics,
    date_range: [range.from.toISOString(), new Date(Math.max(range.from.getTime(), range.to.getTime() - 1000)).toISOString()],
    filters: body.filters ?? [], dimensions, order_by: q.orderBy,
    include: q.totalRows ? { total_rows: true } : {}, pagination: { limit: q.limit, offset: q.offset },
  };
}

