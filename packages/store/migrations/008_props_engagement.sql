-- Custom properties and engagement (issue 14).
--
-- `props` is a Map rather than two parallel arrays: ClickHouse stores a Map as Array(Tuple(key, value)), so the disk
-- layout is the same, but `props['plan']`, mapKeys() and a JSON object on insert need no index bookkeeping, and a
-- key and its value can never fall out of step. Keys are few (only allow-listed ones are stored): LowCardinality.
-- Values were judged by the privacy engine (packages/privacy/src/props.ts). Empty map for rows without properties.
ALTER TABLE events
    ADD COLUMN IF NOT EXISTS props Map(LowCardinality(String), String),
    ADD COLUMN IF NOT EXISTS engaged_ms UInt32,
    ADD COLUMN IF NOT EXISTS scroll_depth UInt8;

-- Engagement per session: what visit_duration and bounces need beyond agg_sessions (which counts page views only and
-- stays as it is, so no existing number moves). `last_seen` is when the last engagement beacon arrived: a visit
-- lasts from its first page view to max(last page view, last_seen). Engagement rows are never page views, so a
-- session here without a row in agg_sessions is one whose page view fell on the other side of midnight (another
-- day's salt, another hash): readers join on agg_sessions and ignore it. Pseudonymous per-session rows: kept as long
-- as events. No backfill: no engagement row exists before this migration.
CREATE TABLE IF NOT EXISTS agg_engagement_sessions (
    site LowCardinality(String),
    day Date,
    session UInt64,
    salt_domain UInt64,
    engagements SimpleAggregateFunction(sum, UInt64),
    engaged_ms SimpleAggregateFunction(sum, UInt64),
    scroll_depth SimpleAggregateFunction(max, UInt8),
    last_seen SimpleAggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, session, salt_domain)
TTL day + INTERVAL {{events_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_engagement_sessions_mv TO agg_engagement_sessions AS
SELECT site, toDate(ts) AS day, session, salt_domain, count() AS engagements, sum(toUInt64(engaged_ms)) AS engaged_ms,
       max(scroll_depth) AS scroll_depth, max(ts) AS last_seen
FROM events
WHERE event = 'engagement' AND session != 0
GROUP BY site, day, session, salt_domain;

-- Engagement per page and UTC day: time_on_page and scroll_depth of an unfiltered page breakdown at rollup speed.
-- Sums and counts only (the average is sum / engagements), with a visitor sketch for k-anonymity per salt domain.
CREATE TABLE IF NOT EXISTS agg_engagement_daily (
    site LowCardinality(String),
    day Date,
    path String,
    salt_domain UInt64,
    engagements SimpleAggregateFunction(sum, UInt64),
    engaged_ms SimpleAggregateFunction(sum, UInt64),
    scroll_sum SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, path, salt_domain)
TTL day + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_engagement_daily_mv TO agg_engagement_daily AS
SELECT site, toDate(ts) AS day, path, salt_domain, count() AS engagements, sum(toUInt64(engaged_ms)) AS engaged_ms,
       sum(toUInt64(scroll_depth)) AS scroll_sum, uniqStateIf(visitor, visitor != 0) AS visitors
FROM events
WHERE event = 'engagement'
GROUP BY site, day, path, salt_domain;
