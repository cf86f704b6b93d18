import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@tokumei/config';
import { ENGAGED_VISIT_MS } from '@tokumei/schema';

/**
 * The rollup job: writes each finished (site, UTC day) into stats_daily as plain numbers (migration 004), so the
 * stats API adds up a few rows per day instead of merging uniq states and grouping per-session rows on every request.
 *
 * A day is rolled up once it is over (UTC). Records can still arrive for it: beacons within the salt's grace period
 * (TOKUMEI_SALT_GRACE_HOURS), a batch hashed just before the salt was destroyed, `tokumei import` of old logs. They
 * raise the day's page views in agg_site_hourly above the rolled-up version, the API reads that day from the state
 * tables again (exact at once), and the next run rolls it up again. Rolling up yesterday as soon as it ends leaves
 * only today in the state tables on most requests, which is what keeps 30-day queries fast. Every run is idempotent: the version is the page-view count the rollup was made from, so two
 * worker replicas rolling up the same day write the same rows and ReplacingMergeTree keeps one.
 */

const DAY_MS = 86_400_000;
/** How often a worker looks for days to roll up. Late records are served exactly from the state tables meanwhile. */
export const ROLLUP_INTERVAL_MS = 10 * 60_000;

/** Finished days whose page views in the state tables exceed their rolled-up version (0 when never rolled up). */
const PENDING = `
  SELECT s.site AS site, toString(s.day) AS day, toString(s.pv) AS pageviews, toString(r.version) AS previous
  FROM (SELECT site, toDate(hour) AS day, sum(pageviews) AS pv FROM agg_site_hourly
        WHERE hour < {final_before:DateTime('UTC')} GROUP BY site, day) AS s
  LEFT JOIN (SELECT site, day, max(version) AS version FROM stats_daily WHERE dimension = '' GROUP BY site, day) AS r
    ON r.site = s.site AND r.day = s.day
  WHERE s.pv > r.version
  ORDER BY s.day, s.site`;

const DAY_HOURS = "site = {site:String} AND hour >= {start:DateTime('UTC')} AND hour < {end:DateTime('UTC')}";

/**
 * One row per session that started on the day (a session hash never spans two days), with its engagement
 * (migration 008): `engaged` ms, and `last_view` moved to the last beacon when the beacons reported engaged time,
 * as the stats API's live sessions do (packages/api/src/stats-queries.ts).
 */
const SESSIONS = `
  SELECT entry, exit, session_visitor, session_domain, views, first_view,
         if(engaged > 0, greatest(last_page_view, last_seen), last_page_view) AS last_view, engaged
  FROM (
    SELECT session, argMinMerge(entry_page) AS entry, argMaxMerge(exit_page) AS exit, any(visitor) AS session_visitor,
           any(salt_domain) AS session_domain, sum(pageviews) AS views, min(started) AS first_view, max(ended) AS last_page_view
    FROM agg_sessions
    WHERE site = {site:String} AND day = {day:Date} AND NOT {keep_sessions:Bool}
    GROUP BY session) AS s
  LEFT JOIN (
    SELECT session, sum(engaged_ms) AS engaged, max(last_seen) AS last_seen FROM agg_engagement_sessions
    WHERE site = {site:String} AND day = {day:Date} GROUP BY session) AS g USING (session)`;

/** A single-page session is a bounce unless it was engaged at least ENGAGED_VISIT_MS. */
const BOUNCE = `views = 1 AND engaged < ${ENGAGED_VISIT_MS}`;

/** The previous rollup's rows, for session metrics whose per-session rows may already have expired. */
const PREVIOUS = 'stats_daily FINAL WHERE site = {site:String} AND day = {day:Date} AND version = {previous:UInt64} AND {keep_sessions:Bool}';

const METRICS = 'pageviews, visitors, sessions, sessions_started, session_views, bounces, duration';

/*
 * Breakdown rows are kept per salt domain (migration 006): the API names a value only for the domains in which it
 * reached k distinct hashes, which a sum over domains could not tell. Totals and hours carry domain 0.
 */

/** Every row of one (site, day), in one statement so all of them are read from one snapshot of the state tables. */
const ROLLUP = `
  INSERT INTO stats_daily (site, dimension, day, value, salt_domain, ${METRICS}, version)
  SELECT {site:String}, dimension, {day:Date}, value, salt_domain, ${METRICS}, {version:UInt64}
  FROM (
    SELECT '' AS dimension, '' AS value, toUInt64(0) AS salt_domain, t.pageviews AS pageviews, t.visitors AS visitors, t.sessions AS sessions,
           s.started AS sessions_started, s.views AS session_views, s.bounces AS bounces, s.duration AS duration
    FROM (SELECT toUInt64(sum(pageviews)) AS pageviews, toUInt64(uniqMerge(visitors)) AS visitors,
                 toUInt64(uniqMerge(sessions)) AS sessions
          FROM agg_site_hourly WHERE ${DAY_HOURS}) AS t
    CROSS JOIN (
      SELECT toUInt64(sum(n)) AS started, toUInt64(sum(v)) AS views, toUInt64(sum(b)) AS bounces, toUInt64(sum(d)) AS duration FROM (
        SELECT count() AS n, toUInt64(sum(views)) AS v, countIf(${BOUNCE}) AS b, toUInt64(sum(last_view - first_view)) AS d
        FROM (${SESSIONS})
        UNION ALL
        SELECT sessions_started, session_views, bounces, duration FROM ${PREVIOUS} AND dimension = '')) AS s
    UNION ALL
    -- Hours are finalized per hour: one visitor can be in several hours of the day.
    SELECT 'hour', leftPad(toString(toHour(hour)), 2, '0'), toUInt64(0), toUInt64(sum(pageviews)), toUInt64(uniqMerge(visitors)),
           toUInt64(uniqMerge(sessions)), 0, 0, 0, 0
    FROM agg_site_hourly WHERE ${DAY_HOURS} GROUP BY hour
    UNION ALL
    SELECT toString(dimension), value, salt_domain, toUInt64(sum(pageviews)), toUInt64(uniqMerge(visitors)), toUInt64(uniqMerge(sessions)), 0, 0, 0, 0
    FROM agg_dimensions_daily WHERE site = {site:String} AND day = {day:Date} GROUP BY dimension, value, salt_domain
    UNION ALL
    -- Entry and exit pages: page views are those of the sessions, as in the live query.
    SELECT dimension, page, session_domain, toUInt64(sum(views)), toUInt64(uniqIf(session_visitor, session_visitor != 0)), count(), count(),
           toUInt64(sum(views)), countIf(${BOUNCE}), toUInt64(sum(last_view - first_view))
    FROM (${SESSIONS}) ARRAY JOIN ['entry_page', 'exit_page'] AS dimension, [entry, exit] AS page
    GROUP BY dimension, page, session_domain
    UNION ALL
    SELECT toString(dimension), value, salt_domain, ${METRICS} FROM ${PREVIOUS} AND dimension IN ('entry_page', 'exit_page'))`;

export interface RollupOptions {
  /** TOKUMEI_EVENTS_TTL_DAYS: agg_sessions keeps per-session rows only this long. */
  readonly eventsTtlDays: number;
  readonly now?: () => number;
}

export interface RolledDay {
  readonly site: string;
  readonly day: string;
  readonly pageviews: number;
  /** Version replaced (0: first rollup of the day). */
  readonly previous: number;
}

const dateTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** Rolls up every finished day that is not rolled up yet or whose rollup is stale. Returns what it wrote. */
export async function rollupDays(client: ClickHouseClient, options: RollupOptions, shouldStop = () => false): Promise<RolledDay[]> {
  const today = Math.floor((options.now ?? Date.now)() / DAY_MS) * DAY_MS;
  const pending = await (await client.query({
    query: PENDING, query_params: { final_before: dateTime(today) }, format: 'JSONEachRow',
  })).json<{ site: string; day: string; pageviews: string; previous: string }>();
  // Per-session rows live TOKUMEI_EVENTS_TTL_DAYS (a day of margin for TTL merges): rolling up a day again after
  // they are gone keeps its earlier session metrics rather than replacing them with what is left.
  const sessionsFrom = today - (options.eventsTtlDays - 1) * DAY_MS;
  const done: RolledDay[] = [];
  for (const p of pending) {
    if (shouldStop()) break;
    const start = Date.parse(`${p.day}T00:00:00Z`);
    const previous = Number(p.previous);
    await client.command({
      query: ROLLUP,
      query_params: {
        site: p.site, day: p.day, start: dateTime(start), end: dateTime(start + DAY_MS), version: p.pageviews, previous: p.previous,
        keep_sessions: start < sessionsFrom && previous > 0,
      },
    });
    done.push({ site: p.site, day: p.day, pageviews: Number(p.pageviews), previous });
  }
  await compact(client, done);
  return done;
}

/**
 * Merges the months the run wrote into one part each. The API reads stats_daily with FINAL, which merges the parts of
 * a partition on every read unless it has one: 58,000 page rows of 30 days read in 32–38 ms from 5 parts and 9 ms
 * from one (10 M events, bench/README.md, issue 16). A day is written once a day, so this rewrites a month's rows
 * (a few hundred thousand at 10 M events a month) about once a day; a partition already in one part is skipped.
 * Partition ids are digits made from ClickHouse's own dates, never input.
 */
async function compact(client: ClickHouseClient, done: readonly RolledDay[]): Promise<void> {
  const months = [...new Set(done.map((d) => d.day.slice(0, 7).replace('-', '')))].filter((m) => /^\d{6}$/.test(m));
  for (const month of months) {
    await client.command({ query: `OPTIMIZE TABLE stats_daily PARTITION ID '${month}' FINAL SETTINGS optimize_skip_merged_partitions = 1` });
  }
}

/** The job as a worker runs it: once at start, then every ROLLUP_INTERVAL_MS, never two runs at once. */
export class RollupJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: RollupOptions & { readonly logger: Logger; readonly intervalMs?: number },
  ) {}

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.options.intervalMs ?? ROLLUP_INTERVAL_MS);
    this.timer.unref();
  }

  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= rollupDays(this.client, this.options, () => this.stopped)
      .then((days) => {
        if (days.length > 0) this.options.logger.info({ days: days.length, first: days[0]?.day, last: days.at(-1)?.day }, 'rolled up days');
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'rollup failed'))
      .finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Stops between two days (a day's rollup is one statement) and waits for it, so ClickHouse can close. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
