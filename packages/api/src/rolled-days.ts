import type { StatsDb } from './query-limits.js';
import { chDateTime, type TimeRange } from './time-range.js';

/**
 * Which days of a range are read from stats_daily (finalized per-day numbers written by the rollup job, migration
 * 004) and which from the state tables. Every visitor and session hash is made with its UTC day's salt, so no two
 * days share one: a range's visitors are the sum of its days' visitors, whichever table each day comes from.
 *
 * A day is read from stats_daily when it lies wholly inside the range and its latest rollup is not stale, i.e. its
 * version (the page views it was made from) is at least what agg_site_hourly holds now. A late record makes the day
 * stale until the job rolls it up again; meanwhile the state tables answer for it, so answers stay exact.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Rows of stats_daily that belong to a rolled-up day's latest rollup (FINAL drops duplicates from replicas). */
export const ROLLED = 'has({rolled_days:Array(Date)}, day) AND version = {rolled_versions:Array(UInt64)}[indexOf({rolled_days:Array(Date)}, day)]';
/**
 * Rows of an hourly state table in the range whose day was not rolled up. The bounds narrow the range to the live
 * part (usually today) so the primary key skips the rolled-up days' states instead of reading them.
 */
export const LIVE_HOURS = "hour >= {live_from:DateTime('UTC')} AND hour < {live_to:DateTime('UTC')} AND NOT has({rolled_days:Array(Date)}, toDate(hour))";
/** Rows of a daily state table (or agg_sessions) in the live part whose day was not rolled up. */
export const LIVE_DAYS = "day >= toDate({live_from:DateTime('UTC')}) AND day <= toDate({live_to:DateTime('UTC')} - 1) AND NOT has({rolled_days:Array(Date)}, day)";

export interface RangeParams extends Record<string, unknown> {
  site: string;
  from: string;
  to: string;
  rolled_days: string[];
  /** Page-view counts: far below 2^53, so plain numbers are exact. */
  rolled_versions: number[];
  /** The smallest span holding every hour of the range that is not in a rolled-up day (from rounded down to the hour). */
  live_from: string;
  live_to: string;
}

const STALE_CHECK = `
  SELECT toString(r.day) AS day, toString(r.version) AS version
  FROM (SELECT day, max(version) AS version FROM stats_daily
        WHERE site = {site:String} AND dimension = '' AND day >= {first:Date} AND day < {end:Date} GROUP BY day) AS r
  LEFT JOIN (SELECT toDate(hour) AS day, sum(pageviews) AS pv FROM agg_site_hourly
             WHERE site = {site:String} AND hour >= {first_hour:DateTime('UTC')} AND hour < {end_hour:DateTime('UTC')} GROUP BY day) AS s
    ON r.day = s.day
  WHERE r.version >= s.pv
  ORDER BY r.day`;

/**
 * The query parameters every stats query takes: site, range and the rolled-up days with their versions. Only days
 * wholly inside [from, to) qualify, so partial days at the edges keep the state tables' semantics exactly.
 */
export async function rangeParams(db: StatsDb, site: string, range: TimeRange): Promise<RangeParams> {
  const first = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const rows = first >= end ? [] : await db.rows<{ day: string; version: string }>(STALE_CHECK,
    { site, first: day(first), end: day(end), first_hour: chDateTime(new Date(first)), end_hour: chDateTime(new Date(end)) });
  const rolled = new Set(rows.map((r) => r.day));
  let liveFrom = Math.floor(range.from.getTime() / HOUR_MS) * HOUR_MS;
  let liveTo = range.to.getTime();
  while (liveFrom < liveTo && rolled.has(day(liveFrom))) liveFrom += DAY_MS;
  while (liveTo > liveFrom && rolled.has(day(liveTo - DAY_MS)) && liveTo % DAY_MS === 0) liveTo -= DAY_MS;
  return {
    site, from: chDateTime(range.from), to: chDateTime(range.to),
    rolled_days: rows.map((r) => r.day),
    rolled_versions: rows.map((r) => Number(r.version)),
    live_from: chDateTime(new Date(liveFrom)), live_to: chDateTime(new Date(Math.max(liveFrom, liveTo))),
  };
}
