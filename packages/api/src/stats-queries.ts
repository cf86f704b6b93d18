import { ENGAGED_VISIT_MS } from '@tokumei/schema';
import type { StatsDb } from './query-limits.js';
import { chDateTime, type TimeRange } from './time-range.js';
import { LIVE_DAYS, LIVE_HOURS, ROLLED, rangeParams } from './rolled-days.js';

export interface Totals {
  pageviews: number;
  visitors: number;
  sessions: number;
}

/** Totals plus session metrics, for sessions that started in the range. */
export interface Summary extends Totals {
  /** Sessions that started in the range (exact count; `sessions` is the uniq count of sessions seen in it). */
  sessionsStarted: number;
  /** Single-page sessions among them with less than ENGAGED_VISIT_MS of engaged time. */
  bounces: number;
  /** bounces / sessionsStarted, 0 when there is none. */
  bounceRate: number;
  /** Page views per started session. */
  viewsPerSession: number;
  /**
   * Mean seconds from first page view to the last page view or, when the session's engagement beacons reported
   * engaged time, its last beacon (a single page view without engagement lasts 0 s).
   */
  avgDuration: number;
}

export interface Bucket extends Totals {
  time: string;
}

export interface Realtime {
  from: string;
  to: string;
  pageviews: number;
  visitors: number;
}

export type Interval = 'hour' | 'day';

type Numeric = string | number;
const num = (value: Numeric | undefined): number => Number(value ?? 0);
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Sessions that started in [from, to) on days not rolled up, with `columns` added to each row. The day bound prunes
 * parts; merging per (day, session) is needed because an AggregatingMergeTree row is only one per key after
 * background merges, which a query cannot rely on. A session's row belongs to the day it started (its hash is
 * day-salted), so rolled-up days drop out whole. `parity` takes every other day: a query unions both halves so two
 * threads group the usual two live days (yesterday, today) side by side.
 */
export function startedSessions(parity: 0 | 1, columns = ''): string {
  return `
  SELECT ${columns}day, min(started) AS first_view, max(ended) AS last_view, sum(pageviews) AS views
  FROM agg_sessions
  WHERE site = {site:String} AND ${LIVE_DAYS} AND toUInt16(day) % 2 = ${parity}
  GROUP BY day, session
  HAVING first_view >= {from:DateTime('UTC')} AND first_view < {to:DateTime('UTC')}`;
}

/**
 * The summary's started sessions with each session's engagement (agg_engagement_sessions, migration 008): `engaged`
 * ms, and `visit_end`, the last page view or, when the beacons reported engaged time, the last beacon if later. A
 * session without beacons keeps its numbers; beacons of a session without a page view that day (`views` 0) are no
 * visit. One GROUP BY over both tables' rows rather than a LEFT JOIN of two groupings: the join tripled this branch
 * on 10 M events even with no beacon at all (bench/README.md, issue 16). The placeholders leave min and max alone.
 */
function engagedSessions(parity: 0 | 1): string {
  const where = `site = {site:String} AND ${LIVE_DAYS} AND toUInt16(day) % 2 = ${parity}`;
  return `
  SELECT views, first_view, if(engaged > 0, greatest(last_view, last_seen), last_view) AS visit_end, engaged
  FROM (
    SELECT min(started) AS first_view, max(ended) AS last_view, sum(pageviews) AS views, sum(engaged_ms) AS engaged, max(last_seen) AS last_seen
    FROM (
      SELECT day, session, started, ended, pageviews, toUInt64(0) AS engaged_ms, toDateTime(0, 'UTC') AS last_seen
      FROM agg_sessions WHERE ${where}
      UNION ALL
      SELECT day, session, toDateTime(4294967295, 'UTC'), toDateTime(0, 'UTC'), toUInt64(0), engaged_ms, last_seen
      FROM agg_engagement_sessions WHERE ${where})
    GROUP BY day, session
    HAVING views > 0 AND first_view >= {from:DateTime('UTC')} AND first_view < {to:DateTime('UTC')})`;
}

/** The day totals of rolled-up days, one row per day. */
const ROLLED_TOTALS = `stats_daily FINAL WHERE site = {site:String} AND dimension = '' AND ${ROLLED}`;

/**
 * Statistics come from aggregates only; no query here reads the events table. Values are passed as query
 * parameters, never spliced into SQL. Visitor and session counts use `uniq`, see packages/api/README.md for its error.
 */
export class StatsQueries {
  constructor(private readonly db: StatsDb) {}

  private rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    return this.db.rows<T>(query, params);
  }

  /**
   * Rolled-up days are read as plain numbers; the other days (today, yesterday, stale or partial ones) are finalized
   * per day from the state tables and added: visitors of different days are different hashes, so never merged.
   * One UNION ALL rather than joins, so the branches that read states run side by side on their own threads.
   */
  async summary(site: string, range: TimeRange): Promise<Summary> {
    const zeros = (n: number) => Array.from({ length: n }, () => 'toUInt64(0)').join(', ');
    const [row] = await this.rows<Record<string, Numeric>>(
      `SELECT toUInt64(sum(pv)) AS pageviews, toUInt64(sum(v)) AS visitors, toUInt64(sum(s)) AS sessions,
              toUInt64(sum(n)) AS started, toUInt64(sum(b)) AS bounces, toUInt64(sum(vs)) AS view_sum, toUInt64(sum(d)) AS duration
       FROM (
         SELECT pageviews AS pv, visitors AS v, sessions AS s, sessions_started AS n, bounces AS b, session_views AS vs, duration AS d
         FROM ${ROLLED_TOTALS}
         UNION ALL
         SELECT sum(pageviews), uniqMerge(visitors), ${zeros(5)}
         FROM agg_site_hourly WHERE site = {site:String} AND ${LIVE_HOURS} GROUP BY toDate(hour)
         UNION ALL
         SELECT toUInt64(0), toUInt64(0), uniqMerge(sessions), ${zeros(4)}
         FROM agg_site_hourly WHERE site = {site:String} AND ${LIVE_HOURS} GROUP BY toDate(hour)
         ${([0, 1] as const).map((parity) => `UNION ALL
         SELECT ${zeros(3)}, count(), countIf(views = 1 AND engaged < {engaged_visit_ms:UInt64}), toUInt64(sum(views)),
                toUInt64(sum(visit_end - first_view))
         FROM (${engagedSessions(parity)})`).join('\n')})`,
      { ...await rangeParams(this.db, site, range), engaged_visit_ms: ENGAGED_VISIT_MS },
    );
    const started = num(row?.started);
    return {
      pageviews: num(row?.pageviews),
      visitors: num(row?.visitors),
      sessions: num(row?.sessions),
      sessionsStarted: started,
      bounces: num(row?.bounces),
      bounceRate: ratio(num(row?.bounces), started),
      viewsPerSession: ratio(num(row?.view_sum), started),
      avgDuration: ratio(num(row?.duration), started),
    };
  }

  /** Days or hours of rolled-up days from stats_daily (hours were finalized per hour), the rest from agg_site_hourly. */
  async timeseries(site: string, range: TimeRange, interval: Interval): Promise<Bucket[]> {
    const hourly = interval === 'hour';
    const bucket = hourly ? 'toStartOfHour(hour)' : 'toStartOfDay(hour)';
    const step = hourly ? 'INTERVAL 1 HOUR' : 'INTERVAL 1 DAY';
    const start = hourly ? "toStartOfHour({from:DateTime('UTC')})" : "toStartOfDay({from:DateTime('UTC')})";
    const rolled = hourly
      ? `SELECT toDateTime(day, 'UTC') + toUInt32(value) * 3600 AS t, pageviews, visitors, sessions
         FROM stats_daily FINAL WHERE site = {site:String} AND dimension = 'hour' AND ${ROLLED}`
      : `SELECT toDateTime(day, 'UTC') AS t, pageviews, visitors, sessions FROM ${ROLLED_TOTALS}`;
    const rows = await this.rows<{ t: string } & Record<keyof Totals, Numeric>>(
      `SELECT t, pageviews, visitors, sessions FROM (
         ${rolled}
         UNION ALL
         SELECT ${bucket} AS t, toUInt64(sum(pageviews)) AS pageviews, toUInt64(uniqMerge(visitors)) AS visitors,
                toUInt64(uniqMerge(sessions)) AS sessions
         FROM agg_site_hourly
         WHERE site = {site:String} AND ${LIVE_HOURS}
         GROUP BY t)
       ORDER BY t WITH FILL FROM ${start} TO {to:DateTime('UTC')} STEP ${step}`,
      await rangeParams(this.db, site, range),
    );
    return rows.map((r) => ({
      time: `${r.t.replace(' ', 'T')}Z`, pageviews: num(r.pageviews), visitors: num(r.visitors), sessions: num(r.sessions),
    }));
  }

  /** The current minute and the four before it: "visitors in the last 5 minutes" at minute resolution. */
  async realtime(site: string, now: Date): Promise<Realtime> {
    const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 4 * 60_000);
    const [row] = await this.rows<Record<'pageviews' | 'visitors', Numeric>>(
      `SELECT toUInt64(sum(pageviews)) AS pageviews, toUInt64(uniqMerge(visitors)) AS visitors
       FROM agg_realtime_minutely
       WHERE site = {site:String} AND minute >= {from:DateTime('UTC')} AND minute <= {to:DateTime('UTC')}`,
      { site, from: chDateTime(from), to: chDateTime(now) },
    );
    return { from: from.toISOString(), to: now.toISOString(), pageviews: num(row?.pageviews), visitors: num(row?.visitors) };
  }

  /**
   * The dashboard's site picker. Declared sites (TOKUMEI_SITES) are listed as declared. Otherwise a site is listed
   * once it had at least k distinct visitors in one salt domain (a UTC day, or an import run's day): a name any
   * client can send, or a site one person visited on many days, is not shown. The page rows of a domain hold every
   * page view, so merging their states counts the domain's visitors.
   */
  async sites(declared: ReadonlySet<string> | undefined, minVisitors: number): Promise<string[]> {
    if (declared !== undefined) return [...declared].sort().slice(0, 1000);
    const rows = await this.rows<{ site: string }>(
      `SELECT DISTINCT site FROM (
         SELECT site, uniqMerge(visitors) AS v FROM agg_dimensions_daily WHERE dimension = 'page'
         GROUP BY site, day, salt_domain HAVING v >= {k:UInt64})
       ORDER BY site LIMIT 1000`,
      { k: minVisitors },
    );
    return rows.map((r) => r.site);
  }
}
