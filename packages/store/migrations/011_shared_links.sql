-- Shared links (POST /api/sites/:site/shared-links): read-only access to one site's dashboard. One row per link and
-- version; revoking writes a newer version with revoked = 1 (reads take each link's newest row). Only hashes of the
-- secrets are kept: token_hash is the SHA-256 of the link's random token (256 bits), password_hash an scrypt hash
-- with its own salt, or '' without a password. So this table cannot open a dashboard. Configuration, no visitor data.
CREATE TABLE IF NOT EXISTS shared_links (
    id String,
    site String,
    name String,
    token_hash String,
    password_hash String,
    created DateTime('UTC'),
    revoked UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);
