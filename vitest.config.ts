import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The disruptive files in a fixed order, the binlog reset last: RESET MASTER renumbers the server's
 * GTIDs and wipes the binlog every other test's position refers to, so nothing runs after it.
 */
class DisruptiveSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const last = (file: TestSpecification): number => (file.moduleId.endsWith('binlog-reset.test.ts') ? 1 : 0);
    return [...sorted].sort((a, b) => last(a) - last(b));
  }
}

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
          sequence: { sequencer: DisruptiveSequencer },
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
