-- agg_pages_hourly (001) held page views, visitors and sessions per site, hour and path, filled by its view on every
-- insert into events and kept as long as the aggregates. Nothing read it: the API, the dashboards and the rollup
-- read the path from agg_dimensions_hourly/daily (dimension 'page'), which hold the same numbers per salt domain.
-- A table nobody reads is still stored data to declare, audit and keep: dropped with its view (issue 13).
--
-- The view first, so no insert can reach a table that is going away. Both are IF EXISTS: a migration interrupted
-- half-way is applied again whole, and a new database still creates both in 001 and drops them here.
DROP VIEW IF EXISTS agg_pages_hourly_mv;

DROP TABLE IF EXISTS agg_pages_hourly;
