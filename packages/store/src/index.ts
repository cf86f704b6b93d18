export { createStoreClient, type StoreClient, type StoreKind } from './client.js';
export { migrate, loadMigrations, type Migration, type MigrationResult } from './migrations.js';
export { RollupJob, rollupDays, ROLLUP_INTERVAL_MS, type RollupOptions, type RolledDay } from './rollup.js';
