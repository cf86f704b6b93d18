export { IMPORT_ENGINE, createStoreClient, type EmbeddedEngine, type StoreClient, type StoreKind } from './client.js';
export { migrate, loadMigrations, type Migration, type MigrationResult } from './migrations.js';
export { RollupJob, rollupDays, ROLLUP_INTERVAL_MS, type RollupOptions, type RolledDay } from './rollup.js';
export {
  DIMENSION_SPECS, DIMENSIONS, EVENT_DIMENSIONS, SESSION_DIMENSIONS, isSessionDimension,
  type DimensionSpec, type Dimension, type EventDimension, type SessionDimension,
} from './dimensions.js';
