export { createStoreClient, type StoreClient, type StoreKind } from './client.js';
export { migrate, loadMigrations, type Migration, type MigrationResult } from './migrations.js';
