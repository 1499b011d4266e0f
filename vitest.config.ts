import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs no service; `integration` talks to the real MariaDB, Kafka and
 * Elasticsearch of the local stack (`npm run stack -- up`) or to the services named by the
 * SLUICE_* environment variables.
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
    ],
  },
});
