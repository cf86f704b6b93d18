import { TokumeiError } from '@tokumei/errors';
import type { StatsDb } from '../query-limits.js';
import { StatsQueries } from '../stats-queries.js';
import type { TimeRange } from '../time-range.js';
import { patterns } from './filters.js';
import type { ParsedQuery } from './parse.js';
import { eventsSql, type Bucket, type ResolvedDimension, type SumsRow } from './sql.js';
import type { Metric } from './spec.js';

const DAY = 86_400_000;
export const OTHER = '(other)';
/** What the rollups (stats_daily and the state tables) answer for a whole site: the summary's numbers. */
const ROLLUP_METRICS: ReadonlySet<Metric> = new Set(['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'percentage']);

export interface QueryContext {
  readonly db: StatsDb;
  readonly now: number;
  /** k (TOKUMEI_MIN_VISITORS). */
  readonly minVisitors: number;
  /** TOKUMEI_EVENTS_TTL_DAYS: how far back `events` (and so every filtered or broken-down answer) reaches. */
  readonly eventsTtlDays: number;
}

export interface ResultRow { metrics: (number | null)[]; dimensions: string[] }

export interface QueryResponse {
  results: ResultRow[];
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

interface Sums { visitors: number; visits: number; pageviews: number; events: number; bounces: number; duration: number; visit_views: number }

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Plausible's roundings: bounce rate and duration whole, views per visit to 2 decimals, percentage to 1. */
function metricValue(m: Metric, s: Sums, total: number): number {
  switch (m) {
    case 'visitors': case 'visits': case 'pageviews': case 'events': return s[m];
    case 'bounce_rate': return Math.round(ratio(s.bounces, s.visits) * 100);
    case 'visit_duration': return Math.round(ratio(s.duration, s.visits));
    case 'views_per_visit': return round(ratio(s.visit_views, s.visits), 2);
    case 'percentage': return round(ratio(s.visitors, total) * 100, 1);
  }
}

const sums = (r: SumsRow): Sums => ({
  visitors: Number(r.visitors), visits: Number(r.visits), pageviews: Number(r.pageviews), events: Number(r.events),
  bounces: Number(r.bounces), duration: Number(r.duration), visit_views: Number(r.visit_views),
});

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `time` as Plausible resolves it: hours for one day, days up to a quarter, months beyond. */
function bucket(range: TimeRange): Bucket {
  const span = range.to.getTime() - range.from.getTime();
  return span <= DAY ? 'time:hour' : span <= 92 * DAY ? 'time:day' : 'time:month';
}

/** RE2 patterns are compiled by ClickHouse itself before the question runs, so an invalid one is the client's 400, not a 500. */
async function checkPatterns(db: StatsDb, list: readonly string[]): Promise<void> {
  if (list.length === 0) return;
  const params = Object.fromEntries(list.map((p, i) => [`p${i}`, p]));
  try {
    await db.rows(`SELECT ${list.map((_, i) => `match('', {p${i}:String})`).join(', ')}`, params);
  } catch (error) {
    const type = (error as { type?: unknown }).type;
    if (type === 'CANNOT_COMPILE_REGEXP' || (error instanceof Error && !(error instanceof TokumeiError) && /regexp|re2/i.test(error.message))) {
      throw new TokumeiError('TKM_INVALID_QUERY', 'filters: a matches pattern is not a valid RE2 regular expression');
    }
    throw error;
  }
}

function echo(q: ParsedQuery, range: TimeRange, body: Record<string, unknown>, dimensions: readonly string[]): Record<string, unknown> {
  return {
    site_id: q.siteId, metrics: q.metrics,
    date_range: [range.from.toISOString(), new Date(Math.max(range.from.getTime(), range.to.getTime() - 1000)).toISOString()],
    filters: body.filters ?? [], dimensions, order_by: q.orderBy,
    include: q.totalRows ? { total_rows: true } : {}, pagination: { limit: q.limit, offset: q.offset },
  };
}

/** Unfiltered totals: the summary route's numbers, from the rollups, over the whole range they keep. */
async function fromRollups(q: ParsedQuery, ctx: QueryContext, body: Record<string, unknown>): Promise<QueryResponse> {
  const s = await new StatsQueries(ctx.db).summary(q.siteId, q.range);
  const totals: Sums = {
    visitors: s.visitors, visits: s.sessionsStarted, pageviews: s.pageviews, events: 0,
    bounces: s.bounces, duration: s.avgDuration * s.sessionsStarted, visit_views: s.viewsPerSession * s.sessionsStarted,
  };
  return {
    results: [{ metrics: q.metrics.map((m) => metricValue(m, totals, totals.visitors)), dimensions: [] }],
    meta: { source: 'rollups', ...(q.totalRows ? { total_rows: 1 } : {}) },
    query: echo(q, q.range, body, q.dimensions),
  };
}

/**
 * Everything else reads `events`: whole UTC days (a k cell is a day), from the first day events retention still
 * holds whole. A range that reaches before it is answered for the retained part and says so in meta.warnings.
 */
async function fromEvents(q: ParsedQuery, ctx: QueryContext, body: Record<string, unknown>): Promise<QueryResponse> {
  const warnings: string[] = [];
  const retained = Math.ceil((ctx.now - ctx.eventsTtlDays * DAY) / DAY) * DAY;
  let from = Math.floor(q.range.from.getTime() / DAY) * DAY;
  const to = Math.ceil(q.range.to.getTime() / DAY) * DAY;
  if (from !== q.range.from.getTime() || to !== q.range.to.getTime()) {
    warnings.push('date_range was widened to whole UTC days: k-anonymity is judged per day and salt domain');
  }
  if (from < retained) {
    from = retained;
    if (!q.all) {
      warnings.push(`date_range starts before ${day(retained)}: events are kept ${ctx.eventsTtlDays} days (TOKUMEI_EVENTS_TTL_DAYS), so this answer covers ${day(retained)} onwards only`);
    }
  }
  const range = { from: new Date(Math.min(from, to)), to: new Date(to) };
  const dimensions: ResolvedDimension[] = q.dimensions.map((d) => (d === 'time' ? bucket(range) : d));
  const meta: Record<string, unknown> = { source: 'events', min_visitors: ctx.minVisitors };
  if (warnings.length > 0) meta.warnings = warnings;
  const query = echo(q, range, body, q.dimensions);
  if (from >= to) {
    if (q.totalRows) meta.total_rows = 0;
    return { results: q.dimensions.length === 0 ? [{ metrics: q.metrics.map(() => null), dimensions: [] }] : [], meta, query };
  }
  await checkPatterns(ctx.db, patterns(q.filters));
  const params: Record<string, unknown> = {
    site: q.siteId, from: range.from.toISOString().slice(0, 19).replace('T', ' '), to: range.to.toISOString().slice(0, 19).replace('T', ' '),
    k: ctx.minVisitors,
  };
  const sql = eventsSql({ metrics: q.metrics, dimensions, filters: q.filters, orderBy: q.orderBy.map(([n, dir]) => [n === 'time' ? bucket(range) : n, dir] as const), limit: q.limit, offset: q.offset }, params);
  const rows = await ctx.db.rows<SumsRow>(sql, params);
  const named = rows.filter((r) => r.named === true || r.named === 1);
  const withheld = rows.find((r) => r.named === false || r.named === 0);
  const other = withheld !== undefined && q.dimensions.length > 0 && Number(withheld.n_values) >= 2 && Number(withheld.floor) >= ctx.minVisitors
    ? sums(withheld) : undefined;
  const first = rows[0];
  const total = (first === undefined ? 0 : Number(first.named_visitors)) + (other?.visitors ?? 0);
  meta.folded = withheld !== undefined;
  if (other !== undefined) meta.other = { metrics: q.metrics.map((m) => metricValue(m, other, total)), dimensions: q.dimensions.map(() => OTHER) };
  if (q.totalRows) meta.total_rows = first === undefined ? 0 : Number(first.total_named);
  const results: ResultRow[] = named.map((r) => ({ metrics: q.metrics.map((m) => metricValue(m, sums(r), total)), dimensions: r.labels }));
  // A question without dimensions has one answer row, as in Plausible; when no day of it reached k, its numbers are withheld.
  if (q.dimensions.length === 0 && results.length === 0) results.push({ metrics: q.metrics.map(() => null), dimensions: [] });
  return { results, meta, query };
}

export function runQuery(q: ParsedQuery, ctx: QueryContext, body: Record<string, unknown>): Promise<QueryResponse> {
  const rollups = q.filters.length === 0 && q.dimensions.length === 0 && q.metrics.every((m) => ROLLUP_METRICS.has(m));
  return rollups ? fromRollups(q, ctx, body) : fromEvents(q, ctx, body);
}
