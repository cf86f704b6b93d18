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
  'audit_reports.report': REPORT_TEXT,
  'audit_reports.markdown': REPORT_TEXT,
};
