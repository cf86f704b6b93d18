export { buildIngestApp, type IngestDeps, type IngestApp } from './app.js';
export type { ImportTarget } from './routes/internal.js';
