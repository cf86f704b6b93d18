import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources: the `source` export condition resolves every @tokumei/* package to src/, so a
// stale or missing dist/ never hides a change. (Projects inherit this through `extends: true`.)
const conditions = ['source'];

// chDB must stay out of worker threads (it segfaults there): every project uses the `forks` pool.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    pool: 'forks',
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'],
          pool: 'forks',
        },
      },
      {
        // Seeded fuzzing (test/fuzz/README.md): each file stops at its input count or its time budget.
        extends: true,
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
