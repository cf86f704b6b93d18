import { isSessionDimension, type Dimension } from '@tokumei/store';
import type { StatsDb } from './query-limits.js';
import { startedSessions } from './stats-queries.js';
import type { TimeRange } from './time-range.js';
import { LIVE_DAYS, ROLLED, rangeParams, type RangeParams } from './rolled-days.js';

const DAY_MS = 86_400_000;

export interface BreakdownRow {
  /** The value; '(other)' for the folded row. */
  value: string;
  visitors: number;
  pageviews: number;
  sessions: number;
  /** Present (true) only on the row that holds what was withheld from the named rows, when it may be shown. */
  other?: true;
}

export interface Breakdown {
  rows: BreakdownRow[];
  /**
   * Whether anything was withheld: a value (or a value's days) below k in its salt domain. Deliberately no count:
   * with `folded: 1` the (other) row used to be that one value's exact numbers.
   */
  folded: boolean;
  /** Values named (at or above the threshold in some salt domain) that did not fit in `limit`. */
  more: number;
}

export const OTHER = '(other)';

/** Which sources a range needs: a branch left out costs nothing, where an empty one still opens its table. */
interface Sources { rolled: boolean; live: boolean }

function sources(params: RangeParams): Sources {
  return { rolled: params.rolled_days.length > 0, live: params.live_from < params.live_to };
}

/**
 * One row per cell: (day, salt_domain, value) with `v` visitors, `s` sessions and `pv` page views. A cell is one salt
 * domain's numbers for a value, the unit k is judged in: hashes of different domains never match, so only inside one
 * are `v` distinct people. Rolled-up days come from stats_daily, the other days from the daily state table
 * (visitors and sessions in branches of their own: reading states is most of the cost, and each branch gets a
 * thread, measured 40 % faster on two cores), or for session dimensions from the sessions that started in the range.
 *
 * Rolled-up rows are cells already (FINAL keeps one row per key, and the version filter one rollup per day) and
 * never share a day with the live ones, so only the live branches are grouped together: regrouping stats_daily's
 * 58,000 page rows of 29 days with them was a third of the page breakdown on 10 M events (bench/README.md, issue 16).
 */
function cells(dimension: Dimension, use: Sources): string {
  const branches: string[] = [];
  if (use.rolled) {
    branches.push(`SELECT day, salt_domain, value, visitors AS v, sessions AS s, pageviews AS pv FROM stats_daily FINAL
                   WHERE site = {site:String} AND dimension = {dimension:String} AND ${ROLLED}`);
  }
  if (isSessionDimension(dimension)) {
    const merge = dimension === 'entry_page' ? 'argMinMerge(entry_page)' : 'argMaxMerge(exit_page)';
    // The summary's started sessions with page, visitor and domain added: same filter, so these add up to the summary's.
    // Each parity holds other days, so its groups are cells already.
    for (const parity of use.live ? [0, 1] as const : []) {
      branches.push(`SELECT day, session_domain AS salt_domain, page AS value, uniqIf(session_visitor, session_visitor != 0) AS v,
                            count() AS s, toUInt64(sum(views)) AS pv
                     FROM (${startedSessions(parity, `${merge} AS page, any(visitor) AS session_visitor, any(salt_domain) AS session_domain, `)})
                     GROUP BY day, salt_domain, value`);
    }
  } else if (use.live) {
    const table = `agg_dimensions_daily WHERE site = {site:String} AND dimension = {dimension:String} AND ${LIVE_DAYS}
      GROUP BY day, salt_domain, value`;
    // Every branch names its columns: the first one present names the union's.
    branches.push(`SELECT day, salt_domain, value, sum(v) AS v, sum(s) AS s, sum(pv) AS pv FROM (
      SELECT day, salt_domain, value, uniqMerge(visitors) AS v, toUInt64(0) AS s, sum(pageviews) AS pv FROM ${table}
      UNION ALL
      SELECT day, salt_domain, value, toUInt64(0) AS v, uniqMerge(sessions) AS s, toUInt64(0) AS pv FROM ${table})
      GROUP BY day, salt_domain, value`);
  }
  // A range always has rolled-up or live days; the fallback only keeps the SQL valid.
  if (branches.length === 0) {
    branches.push("SELECT toDate(0) AS day, toUInt64(0) AS salt_domain, '' AS value, toUInt64(0) AS v, toUInt64(0) AS s, toUInt64(0) AS pv WHERE 0");
  }
  return branches.join('\nUNION ALL\n');
}

/**
 * Breakdowns answer whole UTC days only: `from` is moved back to its midnight and `to` forward to the next one
 * (the answer says which range it covers). A value's cells are per day, so an hour-wide range would name a value
 * with its whole day's numbers anyway, while its narrower (other) row would show when a folded visitor came.
 */
export function breakdownRange(range: TimeRange): TimeRange {
  return {
    from: new Date(Math.floor(range.from.getTime() / DAY_MS) * DAY_MS),
    to: new Date(Math.ceil(range.to.getTime() / DAY_MS) * DAY_MS),
  };
}

/**
 * k-anonymity happens in the query, before anything leaves ClickHouse. A value is named with the cells (salt domain
 * and day) in which it had at least k distinct visitor hashes, so summing a person's visitor-days never names it,
 * and two ranges can only differ by whole days of at least k. Every other cell goes to `(other)`, which is shown
 * only when it holds at least two values with visitors (a value seen only in page views without a visitor hash, those
 * of browsers that signal DNT/GPC under the `count` policy, would otherwise make one real value pass as two) and at
 * least k visitors counted the least favourable way (per domain, as
 * many as its largest folded cell: a visitor of several folded values counts once): `floor`. Its numbers are then
 * the sums of its cells. `floor` is the largest folded cell per (day, salt_domain) through maxMap, summed: read only
 * on the folded row, and a third of the time of the window (a sort of every cell) it replaced on 10 M events.
 */
export async function breakdown(
  db: StatsDb, site: string, asked: TimeRange, dimension: Dimension, limit: number, minVisitors: number,
): Promise<Breakdown & { range: TimeRange }> {
  const range = breakdownRange(asked);
  const params = await rangeParams(db, site, range);
  const rows = await db.rows<{ named: boolean | number; label: string; visitors: string; pageviews: string; sessions: string;
    n_values: string; floor: string; named_values: string }>(
    `SELECT named, label, toUInt64(sum(v)) AS visitors, toUInt64(sum(pv)) AS pageviews, toUInt64(sum(s)) AS sessions,
            uniqExactIf(value, v > 0) AS n_values, toUInt64(arraySum(maxMapIf([(day, salt_domain)], [v], NOT named).2)) AS floor,
            countIf(named) OVER () AS named_values
     FROM (
       SELECT day, salt_domain, value, v, s, pv, named, if(named, value, '') AS label
       FROM (SELECT *, v >= {k:UInt64} AS named FROM (${cells(dimension, sources(params))})))
     GROUP BY named, label
     ORDER BY named, visitors DESC, pageviews DESC, label
     LIMIT {limit:UInt32}`,
    { ...params, dimension, k: minVisitors, limit: limit + 1 },
  );
  const out: BreakdownRow[] = [];
  let folded = false;
  let named = 0;
  let other: BreakdownRow | undefined;
  for (const r of rows) {
    named = Number(r.named_values);
    const row = { value: r.label, visitors: Number(r.visitors), pageviews: Number(r.pageviews), sessions: Number(r.sessions) };
    if (r.named === false || r.named === 0) {
      folded = true;
      if (Number(r.n_values) >= 2 && Number(r.floor) >= minVisitors) other = { ...row, value: OTHER, other: true };
    } else if (out.length < limit) {
      out.push(row);
    }
  }
  const shown = out.length;
  if (other !== undefined) out.push(other);
  return { rows: out, folded, more: Math.max(0, named - shown), range };
}
