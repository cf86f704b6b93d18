-- The privacy audit's reports (tokumei audit), so GET /api/audit serves the last one from any API process. A report
-- holds check results, evidence and masked samples, never a stored value. Kept as long as the aggregates it speaks for.
CREATE TABLE IF NOT EXISTS audit_reports (
    created DateTime('UTC'),
    passed UInt8,
    schema_version UInt32,
    report String,
    markdown String
) ENGINE = MergeTree
ORDER BY created
TTL created + INTERVAL {{aggregates_ttl_months}} MONTH;
