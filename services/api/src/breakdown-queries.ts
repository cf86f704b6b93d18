import type { StatsDb } from './query-limits.js';
import { startedSessions } from './stats-queries.js';
import type { TimeRange } from './time-range.js';
import { LIVE_DAYS, LIVE_HOURS, ROLLED, rangeParams, wholeDays, type RangeParams } from './rolled-days.js';

const DAY_MS = 86_400_000;

/** Dimensions kept per page view in agg_dimensions_hourly (the API name is the stored `dimension` value). */
export const EVENT_DIMENSIONS = [
  'page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen',
] as const;
/** Dimensions of a whole session, from agg_sessions: where it started and where it ended. */
export const SESSION_DIMENSIONS = ['entry_page', 'exit_page'] as const;
export const DIMENSIONS = [...EVENT_DIMENSIONS, ...SESSION_DIMENSIONS] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface BreakdownRow {
  /** The value; '(other)' for the folded row. */
  value: string;
  visitors: number;
  pageviews: number;
  sessions: number;
  /** Present (true) only on the row that holds every value below the k-anonymity threshold. */
  other?: true;
}

export interface Breakdown {
  rows: BreakdownRow[];
  /** How many distinct values were folded into the `(other)` row because they had fewer than k visitors. */
  folded: number;
  /** Values at or above the threshold that did not fit in `limit`. */
  more: number;
}

export const OTHER = '(other)';

/** Which sources a range needs: a branch left out costs nothing, where an empty one still opens its table. */
interface Sources { rolled: boolean; daily: boolean; hourly: boolean; live: boolean }

function sources(params: RangeParams, whole: { whole_from: string; whole_to: string }): Sources {
  const at = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);
  const [wholeFrom, wholeTo, liveFrom, liveTo] = [at(whole.whole_from), at(whole.whole_to), at(params.live_from), at(params.live_to)];
  const rolled = new Set(params.rolled_days);
  let daily = false;
  for (let day = Math.max(wholeFrom, liveFrom); day < Math.min(wholeTo, liveTo) && !daily; day += DAY_MS) {
    daily = !rolled.has(new Date(day).toISOString().slice(0, 10));
  }
  const hourly = liveFrom < Math.min(wholeFrom, liveTo) || Math.max(wholeTo, liveFrom) < liveTo;
  return { rolled: rolled.size > 0, daily, hourly, live: liveFrom < liveTo };
}

/**
 * A per-value subquery yielding `value`, `v` (visitors), `s` (sessions) and `pv` (page views). Rolled-up days come
 * from stats_daily; the other days are finalized per day and value from the state tables and added (visitor and
 * session hashes are day-salted, so per-day counts add up exactly). Session dimensions group the sessions that
 * started in the range by their entry or exit page.
 */
function perValue(dimension: Dimension, use: Sources): string {
  const branches: string[] = [];
  if (use.rolled) {
    branches.push(`SELECT value, visitors AS v, sessions AS s, pageviews AS pv FROM stats_daily FINAL
                   WHERE site = {site:String} AND dimension = {dimension:String} AND ${ROLLED}`);
  }
  if (dimension === 'entry_page' || dimension === 'exit_page') {
    const merge = dimension === 'entry_page' ? 'argMinMerge(entry_page)' : 'argMaxMerge(exit_page)';
    // The summary's started sessions with page and visitor added: same filter, so these add up to the summary's.
    for (const parity of use.live ? [0, 1] as const : []) {
      branches.push(`SELECT page AS value, uniqIf(session_visitor, session_visitor != 0) AS v, count() AS s, toUInt64(sum(views)) AS pv
                     FROM (${startedSessions(parity, `${merge} AS page, any(visitor) AS session_visitor, `)}) GROUP BY day, value`);
    }
  } else {
    // Whole UTC days not rolled up from the daily state table, the partial days at either edge from the hourly one.
    // Visitor and session states are read in separate branches: reading states is most of the cost, and each
    // branch gets a thread of its own (measured: 40 % faster than one branch reading both, on two cores).
    const tables = [
      ...use.daily ? [`agg_dimensions_daily WHERE site = {site:String} AND dimension = {dimension:String}
        AND day >= toDate({whole_from:DateTime('UTC')}) AND day < toDate({whole_to:DateTime('UTC')}) AND ${LIVE_DAYS}
        GROUP BY day, value`] : [],
      ...use.hourly ? [`agg_dimensions_hourly WHERE site = {site:String} AND dimension = {dimension:String}
        AND ${LIVE_HOURS} AND (hour < {whole_from:DateTime('UTC')} OR hour >= {whole_to:DateTime('UTC')})
        GROUP BY toDate(hour), value`] : [],
    ];
    for (const table of tables) {
      // Every branch names its columns: the first one present names the union's.
      branches.push(`SELECT value, uniqMerge(visitors) AS v, toUInt64(0) AS s, sum(pageviews) AS pv FROM ${table}`,
        `SELECT value, toUInt64(0) AS v, uniqMerge(sessions) AS s, toUInt64(0) AS pv FROM ${table}`);
    }
  }
  // A range always has rolled-up or live days; the fallback only keeps the SQL valid.
  if (branches.length === 0) branches.push("SELECT '' AS value, toUInt64(0) AS v, toUInt64(0) AS s, toUInt64(0) AS pv WHERE 0");
  return `SELECT value, sum(v) AS v, sum(s) AS s, sum(pv) AS pv FROM (${branches.join('\nUNION ALL\n')}) GROUP BY value`;
}

/**
 * k-anonymity happens in the query: a value whose visitors are fewer than k is grouped with every other such value
 * before anything leaves ClickHouse. The `(other)` row's visitors and sessions are the sums of the folded values'
 * (an upper bound: one visitor seen with two folded values on one day counts twice), because rolled-up days keep
 * numbers, not sets. Only the top `limit` values and the folded row are returned; `named` tells how many values
 * reached k.
 */
export async function breakdown(
  db: StatsDb, site: string, range: TimeRange, dimension: Dimension, limit: number, minVisitors: number,
): Promise<Breakdown> {
  const params = await rangeParams(db, site, range);
  const whole = wholeDays(range);
  const rows = await db.rows<{ folded: boolean | number; label: string; visitors: string; pageviews: string; sessions: string; n_values: string; named: string }>(
    `SELECT folded, label, toUInt64(sum(v)) AS visitors, toUInt64(sum(pv)) AS pageviews, toUInt64(sum(s)) AS sessions,
                   count() AS n_values, countIf(NOT folded) OVER () AS named
            FROM (SELECT *, v < {k:UInt64} AS folded, if(folded, '', value) AS label FROM (${perValue(dimension, sources(params, whole))}))
            GROUP BY folded, label
            ORDER BY folded DESC, visitors DESC, pageviews DESC, label
            LIMIT {limit:UInt32}`,
    { ...params, dimension, k: minVisitors, limit: limit + 1, ...whole },
  );
  const out: BreakdownRow[] = [];
  let folded = 0;
  let named = 0;
  let other: BreakdownRow | undefined;
  for (const r of rows) {
    named = Number(r.named);
    const row = { value: r.label, visitors: Number(r.visitors), pageviews: Number(r.pageviews), sessions: Number(r.sessions) };
    if (r.folded === true || r.folded === 1) {
      folded = Number(r.n_values);
      other = { ...row, value: OTHER, other: true };
    } else if (out.length < limit) {
      out.push(row);
    }
  }
  if (other !== undefined) out.push(other);
  return { rows: out, folded, more: Math.max(0, named - (out.length - (other === undefined ? 0 : 1))) };
}
