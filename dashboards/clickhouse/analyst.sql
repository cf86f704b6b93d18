-- A read-only ClickHouse role and user for analysts (Grafana's data source, ad-hoc SQL), server mode only.
-- Run as an administrator, e.g. `clickhouse-client --multiquery < dashboards/clickhouse/analyst.sql`, after
-- `tokumei migrate`, in the database Tokumei uses (here `tokumei`; change it with CLICKHOUSE_URL's path).
--
-- It reads aggregate tables only: never `events` or `agg_sessions` (one pseudonymous row per session), nor the
-- operational tables. Grants name each table, so a table added later is not readable until it is granted here.
-- Note: the k-anonymity threshold (TOKUMEI_MIN_VISITORS) is applied by Tokumei's API and by the shipped Grafana
-- dashboard's queries; an analyst with this role can still write a query that shows small groups of an aggregate.
CREATE ROLE IF NOT EXISTS tokumei_analyst_role;
GRANT SELECT ON tokumei.agg_site_hourly TO tokumei_analyst_role;
GRANT SELECT ON tokumei.agg_dimensions_hourly TO tokumei_analyst_role;
GRANT SELECT ON tokumei.agg_dimensions_daily TO tokumei_analyst_role;
GRANT SELECT ON tokumei.agg_realtime_minutely TO tokumei_analyst_role;
GRANT SELECT ON tokumei.bots_daily TO tokumei_analyst_role;
-- agg_pages_hourly was dropped (migration 007); a role set up before keeps its grant by name, which a new table of
-- that name would inherit. Revoking what is not granted is no error in ClickHouse, so the file stays re-runnable.
REVOKE SELECT ON tokumei.agg_pages_hourly FROM tokumei_analyst_role;

-- readonly = 1: SELECT only, no settings changes except those marked changeable_in_readonly; the plugin's client
-- sets max_execution_time per query, so that one stays changeable (bounded).
CREATE SETTINGS PROFILE IF NOT EXISTS tokumei_analyst_profile
    SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY, max_result_rows = 100000, max_memory_usage = 4000000000;

-- CHANGE THE PASSWORD, and give the same one to Grafana as TOKUMEI_ANALYST_PASSWORD.
CREATE USER IF NOT EXISTS tokumei_analyst IDENTIFIED WITH sha256_password BY 'change-me'
    DEFAULT ROLE tokumei_analyst_role
    DEFAULT DATABASE tokumei
    SETTINGS PROFILE tokumei_analyst_profile;
GRANT tokumei_analyst_role TO tokumei_analyst;
