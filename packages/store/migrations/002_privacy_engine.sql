-- The privacy engine's columns: every one is declared, with its source and transform, in
-- packages/privacy/src/field-policy.ts.
ALTER TABLE events
    ADD COLUMN IF NOT EXISTS host LowCardinality(String) AFTER event,
    ADD COLUMN IF NOT EXISTS query String AFTER path,
    ADD COLUMN IF NOT EXISTS utm_source LowCardinality(String) AFTER referrer_host,
    ADD COLUMN IF NOT EXISTS utm_medium LowCardinality(String) AFTER utm_source,
    ADD COLUMN IF NOT EXISTS utm_campaign LowCardinality(String) AFTER utm_medium,
    ADD COLUMN IF NOT EXISTS utm_term LowCardinality(String) AFTER utm_campaign,
    ADD COLUMN IF NOT EXISTS utm_content LowCardinality(String) AFTER utm_term,
    ADD COLUMN IF NOT EXISTS browser LowCardinality(String) AFTER visitor,
    ADD COLUMN IF NOT EXISTS browser_version LowCardinality(String) AFTER browser,
    ADD COLUMN IF NOT EXISTS os LowCardinality(String) AFTER browser_version,
    ADD COLUMN IF NOT EXISTS os_version LowCardinality(String) AFTER os,
    ADD COLUMN IF NOT EXISTS device LowCardinality(String) AFTER os_version,
    ADD COLUMN IF NOT EXISTS screen LowCardinality(String) AFTER device,
    ADD COLUMN IF NOT EXISTS country LowCardinality(String) AFTER screen,
    ADD COLUMN IF NOT EXISTS lang LowCardinality(String) AFTER country;

-- Bots are never stored per event: only how many there were, per site and day.
CREATE TABLE IF NOT EXISTS bots_daily (
    site LowCardinality(String),
    day Date,
    bots SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, day)
TTL day + INTERVAL {{aggregates_ttl_months}} MONTH
SETTINGS non_replicated_deduplication_window = 10000;

-- Evidence for auditors: when each day's salt existed, identified by its SHA-256 commitment. The salt itself is
-- never written to ClickHouse. Every worker replica writes the same rows; the newest version of a row wins.
CREATE TABLE IF NOT EXISTS salt_log (
    day Date,
    commitment String,
    created DateTime('UTC'),
    destroyed Nullable(DateTime('UTC')),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (day, commitment)
TTL day + INTERVAL {{aggregates_ttl_months}} MONTH;
