import { TokumeiError } from '@tokumei/errors';
import type { StatsDb } from '../query-limits.js';
import { bucket, day, echo, metricValue, OTHER, sums, type QueryContext, type QueryResponse, type ResultRow } from './answer.js';
import { patterns, properties } from './filters.js';
import { checkGoalNames } from './goal-names.js';
import type { ParsedQuery } from './parse.js';
import { fromRollups, hasCustomEvents, rollupPlan } from './rollups.js';
import { eventsSql, type ResolvedDimension, type SumsRow } from './sql.js';
import { isGoalDimension, isTimeDimension } from './spec.js';

const DAY = 86_400_000;
const UTC = 'UTC';

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

/**
 * Everything else reads `events`: whole UTC days (a k cell is a day), from the first day events retention still
 * holds whole. A range that reaches before it is answered for the retained part and says so in meta.warnings.
 */
async function fromEvents(q: ParsedQuery, ctx: QueryContext, body: Record<string, unknown>, zone: string): Promise<QueryResponse> {
  const warnings: string[] = [];
  const retained = Math.ceil((ctx.now - ctx.eventsTtlDays * DAY) / DAY) * DAY;
  let from = Math.floor(q.range.from.getTime() / DAY) * DAY;
  const to = Math.ceil(q.range.to.getTime() / DAY) * DAY;
  if (from !== q.range.from.getTime() || to !== q.range.to.getTime()) {
    warnings.push('date_range was widened to whole UTC days: k-anonymity is judged per day and salt domain');
  }
  if (zone !== UTC && q.dimensions.some(isTimeDimension)) {
    warnings.push(`time buckets are ${zone} time, but date_range is whole UTC days and visitors are counted per UTC day (each day's salt): the first and last ${zone} day may be partial`);
  }
  if (from < retained) {
    from = retained;
    if (!q.all) {
      warnings.push(`date_range starts before ${day(retained)}: events are kept ${ctx.eventsTtlDays} days (TOKUMEI_EVENTS_TTL_DAYS), so this answer covers ${day(retained)} onwards only`);
    }
  }
  const range = { from: new Date(Math.min(from, to)), to: new Date(to) };
  const dimensions: ResolvedDimension[] = q.dimensions.map((d) => (d === 'time' ? bucket(range) : d));
  const meta: Record<string, unknown> = { source: 'events', min_visitors: ctx.minVisitors, time_zone: zone };
  if (warnings.length > 0) meta.warnings = warnings;
  const query = echo(q, range, body, q.dimensions);
  // The site's goals, only when event:goal is asked or filtered (one small query).
  const goals = [...q.dimensions, ...properties(q.filters)].some(isGoalDimension) ? await (ctx.goals?.(q.siteId) ?? []) : [];
  checkGoalNames(q.filters, goals);
  if (from >= to) {
    if (q.totalRows) meta.total_rows = 0;
    return { results: q.dimensions.length === 0 ? [{ metrics: q.metrics.map(() => null), dimensions: [] }] : [], meta, query };
  }
  await checkPatterns(ctx.db, patterns(q.filters));
  const params: Record<string, unknown> = {
    site: q.siteId, from: range.from.toISOString().slice(0, 19).replace('T', ' '), to: range.to.toISOString().slice(0, 19).replace('T', ' '),
    k: ctx.minVisitors,
  };
  const sql = eventsSql({ metrics: q.metrics, dimensions, filters: q.filters, orderBy: q.orderBy.map(([n, dir]) => [n === 'time' ? bucket(range) : n, dir] as const), limit: q.limit, offset: q.offset, goals, timeZone: zone }, params);
  const rows = await ctx.db.rows<SumsRow>(sql, params);
  const named = rows.filter((r) => r.named === true || r.named === 1);
  const withheld = rows.find((r) => r.named === false || r.named === 0);
  const other = withheld !== undefined && q.dimensions.length > 0 && Number(withheld.n_values) >= 2 && Number(withheld.floor) >= ctx.minVisitors
    ? sums(withheld) : undefined;
  const first = rows[0];
  const total = (first === undefined ? 0 : Number(first.named_visitors)) + (other?.visitors ?? 0);
  meta.folded = withheld !== undefined;
  // (other)'s conversion rate would divide by the cells' totals once per withheld group: no rate is better than a wrong one.
  if (other !== undefined) {
    meta.other = { metrics: q.metrics.map((m) => (m === 'conversion_rate' ? null : metricValue(m, other, total))), dimensions: q.dimensions.map(() => OTHER) };
  }
  if (q.totalRows) meta.total_rows = first === undefined ? 0 : Number(first.total_named);
  const results: ResultRow[] = named.map((r) => ({ metrics: q.metrics.map((m) => metricValue(m, sums(r), total)), dimensions: r.labels }));
  // A question without dimensions has one answer row, as in Plausible; when no day of it reached k, its numbers are withheld.
  if (q.dimensions.length === 0 && results.length === 0) results.push({ metrics: q.metrics.map(() => null), dimensions: [] });
  return { results, meta, query };
}

/** Unfiltered questions the rollups can answer go there (today's speed); every other reads `events`. */
export async function runQuery(q: ParsedQuery, ctx: QueryContext, body: Record<string, unknown>): Promise<QueryResponse> {
  let plan = rollupPlan(q);
  // Unfiltered, a group counts custom events too: the rollups (page views) are that answer only without any.
  if (plan?.kind === 'breakdown' && !plan.pageviewsOnly && await hasCustomEvents(ctx, q.siteId, q.range)) plan = undefined;
  const zone = ctx.timeZone?.(q.siteId) ?? UTC;
  const answer = plan === undefined ? undefined : await fromRollups(q, plan, ctx, body);
  if (answer === undefined) {
    const events = await fromEvents(q, ctx, body, zone);
    events.meta.site_time_zone = zone;
    return events;
  }
  // The rollups count per UTC day (no time dimension is answered there): say so where the site reports in another zone.
  answer.meta.time_zone = UTC;
  answer.meta.site_time_zone = zone;
  if (zone !== UTC) answer.meta.warnings = [...((answer.meta.warnings as string[] | undefined) ?? []), `answered from the rollups, which count per UTC day: date_range is whole UTC days, not ${zone} days`];
  return answer;
}
