-- Statistics for analysts. The stats API and the Grafana dashboard read only these tables (and bots_daily);
-- none of them holds a URL beyond the scrubbed path, and the long-lived ones hold no per-visitor row.
--
-- Each table is filled by a materialized view on `events` and first backfilled from whatever `events` still holds,
-- only while the table is empty, so re-running a half-applied migration cannot count a row twice. Backfill comes
-- before the view: `tokumei start` and the compose stack's `migrate` run before any worker inserts.
-- Every target has the deduplication window: a redelivered batch that `events` drops is dropped here too.
-- Backfills name their columns: 006 appends salt_domain, and a re-run of this file must still fit those tables.

-- Site totals per hour: summary and timeseries (a day is the merge of its 24 hours).
CREATE TABLE IF NOT EXISTS agg_site_hourly (
    site LowCardinality(String),
    hour DateTime('UTC'),
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    sessions AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour)
TTL hour + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO agg_site_hourly
SELECT site, toStartOfHour(ts) AS hour, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
WHERE event = 'pageview' AND (SELECT count() FROM agg_site_hourly) = 0
GROUP BY site, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_site_hourly_mv TO agg_site_hourly AS
SELECT site, toStartOfHour(ts) AS hour, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
WHERE event = 'pageview'
GROUP BY site, hour;

-- Breakdowns: one row per site, dimension, hour and value. One table for every dimension keeps the view, the query
-- and the field policy to one shape; ORDER BY starts with the dimension so a breakdown reads one contiguous range.
-- Referrer and utm_* rows exist only for page views that carried a value: an empty referrer means "direct" on an
-- arrival but "moved within the site" on every later page, and the two cannot be told apart per event.
CREATE TABLE IF NOT EXISTS agg_dimensions_hourly (
    site LowCardinality(String),
    dimension LowCardinality(String),
    hour DateTime('UTC'),
    value String,
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    sessions AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, hour, value)
TTL hour + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO agg_dimensions_hourly (site, dimension, hour, value, pageviews, visitors, sessions)
SELECT site, dimension, toStartOfHour(ts) AS hour, value, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
  AND (SELECT count() FROM agg_dimensions_hourly) = 0
GROUP BY site, dimension, hour, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_dimensions_hourly_mv TO agg_dimensions_hourly AS
SELECT site, dimension, toStartOfHour(ts) AS hour, value, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
GROUP BY site, dimension, hour, value;

-- The same per UTC day: a 30-day breakdown merges 30 rows per value instead of 720. The hourly table answers only
-- the partial days at the edges of a range given as datetimes.
CREATE TABLE IF NOT EXISTS agg_dimensions_daily (
    site LowCardinality(String),
    dimension LowCardinality(String),
    day Date,
    value String,
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    sessions AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, dimension, day, value)
TTL day + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO agg_dimensions_daily (site, dimension, day, value, pageviews, visitors, sessions)
SELECT site, dimension, toDate(ts) AS day, value, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
  AND (SELECT count() FROM agg_dimensions_daily) = 0
GROUP BY site, dimension, day, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_dimensions_daily_mv TO agg_dimensions_daily AS
SELECT site, dimension, toDate(ts) AS day, value, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
GROUP BY site, dimension, day, value;

-- One row per session (after merges): entry and exit page, first and last page view, page views. This is a
-- pseudonymous per-session row, so it lives only as long as events do (TOKUMEI_EVENTS_TTL_DAYS). The key includes
-- the UTC day because a session hash is made with the day's salt: a session crossing midnight is two sessions
-- already, so nothing is split here that was not split before. Session 0 (no session: consent signal) is left out.
CREATE TABLE IF NOT EXISTS agg_sessions (
    site LowCardinality(String),
    day Date,
    session UInt64,
    visitor SimpleAggregateFunction(any, UInt64),
    started SimpleAggregateFunction(min, DateTime('UTC')),
    ended SimpleAggregateFunction(max, DateTime('UTC')),
    pageviews SimpleAggregateFunction(sum, UInt64),
    entry_page AggregateFunction(argMin, String, DateTime('UTC')),
    exit_page AggregateFunction(argMax, String, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, session)
TTL day + INTERVAL {{events_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO agg_sessions (site, day, session, visitor, started, ended, pageviews, entry_page, exit_page)
SELECT site, toDate(ts) AS day, session, any(visitor) AS visitor, min(ts) AS started, max(ts) AS ended,
       count() AS pageviews, argMinState(path, ts) AS entry_page, argMaxState(path, ts) AS exit_page
FROM events
WHERE event = 'pageview' AND session != 0 AND (SELECT count() FROM agg_sessions) = 0
GROUP BY site, day, session;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_sessions_mv TO agg_sessions AS
SELECT site, toDate(ts) AS day, session, any(visitor) AS visitor, min(ts) AS started, max(ts) AS ended,
       count() AS pageviews, argMinState(path, ts) AS entry_page, argMaxState(path, ts) AS exit_page
FROM events
WHERE event = 'pageview' AND session != 0
GROUP BY site, day, session;

-- Realtime: page views and visitors per minute, kept one day (only "the last 5 minutes" is ever asked of it).
CREATE TABLE IF NOT EXISTS agg_realtime_minutely (
    site LowCardinality(String),
    minute DateTime('UTC'),
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
ORDER BY (site, minute)
TTL minute + INTERVAL 1 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_realtime_minutely_mv TO agg_realtime_minutely AS
SELECT site, toStartOfMinute(ts) AS minute, count() AS pageviews, uniqStateIf(visitor, visitor != 0) AS visitors
FROM events
WHERE event = 'pageview'
GROUP BY site, minute;
