export { buildApiApp, assertSafeBinding, type ApiDeps, type ApiApp } from './app.js';
export { StatsQueries, type Summary, type Bucket, type Interval } from './stats-queries.js';
export { parseRange, assertBuckets, MAX_BUCKETS, type TimeRange } from './time-range.js';
export { DEFAULT_LIMITS, limitedDb, storeError, type QueryLimits, type StatsDb } from './query-limits.js';
export { type AuditRunner } from './routes/audit.js';
