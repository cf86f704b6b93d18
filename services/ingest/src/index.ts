export { buildIngestApp, type IngestDeps, type IngestApp } from './app.js';
