-- Pseudonymized page views and events: no IP, user agent, sid, cookie, fragment or query string ever reaches this
-- table (the privacy package decides every column). Rows expire after the configured number of days.
CREATE TABLE IF NOT EXISTS events (
    site LowCardinality(String),
    ts DateTime('UTC'),
    event LowCardinality(String),
    path String,
    referrer_host LowCardinality(String),
    session UInt64,
    visitor UInt64,
    src LowCardinality(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (site, toDate(ts), event, path)
TTL ts + INTERVAL {{events_ttl_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- Hourly page statistics. Every table a materialized view writes to needs its own deduplication window, or a
-- redelivered batch that the events table dropped would still be counted here.
CREATE TABLE IF NOT EXISTS agg_pages_hourly (
    site LowCardinality(String),
    hour DateTime('UTC'),
    path String,
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    sessions AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, path)
TTL hour + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_pages_hourly_mv TO agg_pages_hourly AS
SELECT
    site,
    toStartOfHour(ts) AS hour,
    path,
    count() AS pageviews,
    uniqStateIf(visitor, visitor != 0) AS visitors,
    uniqStateIf(session, session != 0) AS sessions
FROM events
WHERE event = 'pageview'
GROUP BY site, hour, path;

-- Offset ranges the worker inserts: recorded before the rows (done = 0) and again once ClickHouse acknowledged them
-- (done = 1). After a crash the worker skips what is done and cuts a pending range exactly as before, so a repeated
-- insert carries the same deduplication token and is dropped.
CREATE TABLE IF NOT EXISTS ingest_ranges (
    topic LowCardinality(String),
    partition UInt32,
    first_offset UInt64,
    last_offset UInt64,
    done UInt8,
    created DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
ORDER BY (topic, partition, first_offset)
TTL created + INTERVAL 7 DAY;
