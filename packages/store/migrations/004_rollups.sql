-- Finalized numbers per site and UTC day, written by the rollup job (packages/store/src/rollup.ts) once a day can no
-- longer change: its salt is destroyed at most 24 h after the day ends, so no new visitor or session hash for it can
-- appear. Because every hash is made with its day's salt, no visitor or session is shared by two days: a range's
-- visitors are exactly the sum of its days' visitors, and the API adds these rows up instead of merging uniq states.
--
-- One row per (site, dimension, day, value):
--   dimension ''                          the site's totals (value ''), with the session metrics of the day
--   dimension 'hour'                      the site's totals per hour of the day (value '00' … '23')
--   dimension page, referrer, … screen    the breakdowns of agg_dimensions_daily
--   dimension entry_page, exit_page       sessions that started that day, by first or last page (from agg_sessions)
-- `version` is the day's page-view count in agg_site_hourly when the job read it. A day counts as rolled up while
-- its version is at least what agg_site_hourly holds now; a late record raises the latter, so the day is read from
-- the state tables again until the job writes a new version. Readers use FINAL and only the rows of the day's
-- latest version, so a value that a newer rollup no longer has (a session's entry page moved by a late record) is
-- ignored. Numbers only, no hash: kept as long as the other aggregates.
CREATE TABLE IF NOT EXISTS stats_daily (
    site LowCardinality(String),
    dimension LowCardinality(String),
    day Date,
    value String,
    pageviews UInt64,
    visitors UInt64,
    sessions UInt64,
    sessions_started UInt64,
    session_views UInt64,
    bounces UInt64,
    duration UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (site, dimension, day, value)
TTL day + INTERVAL {{aggregates_ttl_months}} MONTH;
