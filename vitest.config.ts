import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` needs no service; `integration` talks to the real MariaDB, Kafka and
 * Elasticsearch of the local stack (`npm run stack -- up`) or to the services named by the
 * SLUICE_* environment variables; `disruptive` stops services or purges the binlog, so it runs
 * alone, after the others, one file at a time.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'disruptive',
          include: ['test/disruptive/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
