import { defineConfig } from 'vitest/config';

// chDB must stay out of worker threads (it segfaults there): every project uses the `forks` pool.
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'],
          pool: 'forks',
        },
      },
      {
        // Seeded fuzzing (test/fuzz/README.md): each file stops at its input count or its time budget.
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
        },
      },
      {
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
