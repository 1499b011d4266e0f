import { pino } from 'pino';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { MysqlCapture, type MysqlCaptureSettings } from '../../src/pipeline/mysql-capture.js';
import { TEST_RETRY_POLICY } from './retry-timings.js';
import { endpoints, startStoppable, testKafka, type Cleanup } from './services.js';

/** A running capture of a test database and the function that stops it (also registered with `cleanup`). */
export interface TestCapture {
  readonly capture: MysqlCapture;
  readonly stop: () => Promise<void>;
}

/**
 * Starts a capture of `db` into topics named after `prefix`, with quick test timings (a random
 * server id, short batches and position saves); `overrides` replace any setting.
 */
export function startTestCapture(cleanup: Cleanup, db: string, prefix: string, overrides: Partial<MysqlCaptureSettings> = {}): TestCapture {
  const controller = new AbortController();
  const capture = new MysqlCapture(testKafka(), {
    pipeline: prefix,
    topicPrefix: prefix,
    partitions: 2,
    replicationFactor: 1,
    connection: mysqlConnectionOptions(endpoints.mysqlUrl),
    serverId: 100_000 + Math.floor(Math.random() * 1_000_000),
    databases: [db],
    filter: () => true,
    snapshot: { mode: 'initial', pageSize: 3 },
    batch: { maxMessages: 100, maxDelayMs: 20 },
    positionIntervalMs: 200,
    retryPolicy: { ...TEST_RETRY_POLICY, maxAttempts: 50, maxElapsedMs: 60_000, maxDelayMs: 1_000 },
    logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
    ...overrides,
  });
  const stop = startStoppable(cleanup, (signal) => capture.run(signal), controller);
  return { capture, stop };
}
