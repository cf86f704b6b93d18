-- Goals declared through the API (PUT /api/sites/:site/goals): one row per site and version, the newest version is
-- the site's list (TOKUMEI_GOALS is only the seed for sites without a row). The list is JSON as the API checked it
-- (page path patterns, custom event names, display names): configuration, never visitor data. Goals are evaluated
-- against `events` at query time, so a changed goal re-evaluates history within events retention.
CREATE TABLE IF NOT EXISTS site_goals (
    site String,
    goals String,
    version UInt64,
    updated DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY site;
