/**
 * Columns whose values have a personal-data shape by design, with the reason. A SHA-256 commitment is 64 hex
 * characters; the audit's own stored reports quote commitments and masked samples.
 */
const REPORT_TEXT = { reason: 'earlier audit reports: they quote commitments, byte counts and masked samples; the canary search still covers them' } as const;
/** `format`: instead of the patterns, every value must match this (RE2) exactly, so nothing else hides there. */
export const EXPECTED_SHAPES: Readonly<Record<string, { reason: string; format?: string }>> = {
  'salt_log.commitment': { format: '^[0-9a-f]{64}$', reason: 'SHA-256 commitments of salts (64 hex digits by design; a salt cannot be derived from one)' },
  // Kafka topic names (operator configuration) and the random stream ids of imports (`import.<16 hex>`), whose hex
  // would otherwise read as a token. An address, e-mail or agent still fails the format.
  'ingest_ranges.topic': {
    format: '^(import\\.(stdin-|audit-)?[0-9a-f]{16}|[A-Za-z][A-Za-z0-9._-]{0,248})$',
    reason: 'Kafka topic names and random import stream ids, recorded for exactly-once delivery',
  },
  // Shared links keep hashes of their secrets and a random id: hex and base64url by design.
  'shared_links.id': { format: '^[0-9a-f]{16}$', reason: 'random ids of shared links (64 bits, hex)' },
  'shared_links.token_hash': { format: '^[0-9a-f]{64}$', reason: 'SHA-256 of shared-link tokens (the tokens are never stored)' },
  'shared_links.password_hash': {
    format: '^(scrypt\\$[0-9]{1,2}\\$[0-9]{1,2}\\$[0-9]{1,2}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43})?$',
    reason: 'scrypt hashes of shared-link passwords with their salts, or empty',
  },
  'audit_reports.report': REPORT_TEXT,
  'audit_reports.markdown': REPORT_TEXT,
};
