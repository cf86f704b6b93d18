export { buildApiApp, assertSafeBinding, type ApiDeps, type ApiApp } from './app.js';
export { StatsQueries, type Summary, type Bucket, type Interval } from './stats-queries.js';
export { parseRange, type TimeRange } from './time-range.js';
export { type AuditRunner } from './routes/audit.js';
