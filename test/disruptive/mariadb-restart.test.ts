import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection } from 'mysql2/promise';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { runCaptureUntilStopped } from '../../src/streams/capture-supervisor.js';
import { mysqlCapture, type MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { isTransientMysqlError } from '../../src/sources/mysql/mysql-source.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import { readPidFile } from '../../stack/processes.js';
import { mariadbService } from '../../stack/services/mariadb.js';
import { createStackContext, isExternal, stackDown, stackUp } from '../../stack/stack.js';
import { collectChangeEvents } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, endpoints, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const stack = createStackContext();
const MAX_PENDING = 1_000;

/**
 * A database with table t, made and later dropped on connections of their own: the connections
 * open during a server restart are dead afterwards.
 */
async function createDatabaseSurvivingRestarts(prefix: string): Promise<string> {
  const db = uniqueName(prefix);
  const run = async (statement: string): Promise<void> => {
    const connection = await createConnection(mysqlConnectionOptions(endpoints.mysqlUrl));
    try {
      await connection.query(statement);
    } finally {
      await connection.end();
    }
  };
  await run(`CREATE DATABASE \`${db}\``);
  cleanup.add(() => run(`DROP DATABASE IF EXISTS \`${db}\``));
  await run(`CREATE TABLE \`${db}\`.t (id INT PRIMARY KEY, at BIGINT)`);
  return db;
}

/** A steady insert load that survives the server going away: a failed insert is retried on a new connection. */
function startLoad(db: string): { stop: () => Promise<number> } {
  let writing = true;
  let written = 0;
  let connection: Connection | undefined;
  const run = (async () => {
    while (writing) {
      try {
        connection ??= await createConnection({ ...mysqlConnectionOptions(endpoints.mysqlUrl), database: db });
        // an insert that failed on a dropped connection may have committed: INSERT IGNORE retries it safely
        await connection.query('INSERT IGNORE INTO t VALUES (?, ?)', [written + 1, Date.now()]);
        written += 1;
        await sleep(5);
      } catch {
        connection?.destroy();
        connection = undefined;
        await sleep(200);
      }
    }
  })();
  return {
    stop: async () => {
      writing = false;
      await run;
      connection?.destroy();
      return written;
    },
  };
}

/** Runs the supervised capture of `db`; `starts` lists every capture it started. */
function superviseCapture(db: string, prefix: string): { starts: MysqlCapture[] } {
  const controller = new AbortController();
  const starts: MysqlCapture[] = [];
  const running = runCaptureUntilStopped(
    mysqlCapture(testKafka()),
    isTransientMysqlError,
    {
      pipeline: prefix, topicPrefix: prefix, partitions: 2, replicationFactor: 1,
      connection: mysqlConnectionOptions(endpoints.mysqlUrl), serverId: 400_000 + Math.floor(Math.random() * 1_000_000),
      databases: [db], filter: () => true, snapshot: { mode: 'initial', pageSize: 100 },
      batch: { maxMessages: 100, maxDelayMs: 20 }, positionIntervalMs: 500, maxPendingEvents: MAX_PENDING, binlogHeartbeatMs: 1_000,
      retryPolicy: { initialDelayMs: 200, maxDelayMs: 2_000, multiplier: 2, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: 5 * 60_000, jitter: 0.2 },
      logger: pino({ level: 'silent' }),
    },
    controller.signal,
    (capture) => starts.push(capture),
    { initialDelayMs: 200, maxDelayMs: 2_000, multiplier: 2, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: 5 * 60_000, jitter: 0.2 },
  );
  cleanup.add(async () => {
    controller.abort();
    await running;
  });
  return { starts };
}

/** Every written row reached the topic; returns how many events were delivered twice. */
async function expectEveryRowOnce(prefix: string, db: string, written: number): Promise<number> {
  const collected = await collectChangeEvents(testKafka(), prefix, [changeTopic(prefix, db, 't')], cleanup);
  await waitFor(() => new Set(collected.events.map((read) => read.event.after?.id)).size >= written, { timeoutMs: 180_000, intervalMs: 500, description: `all ${written} rows in Kafka` });
  const ids = new Set(collected.events.map((read) => read.event.after?.id));
  for (let id = 1; id <= written; id += 1) expect(ids.has(id), `row ${id}`).toBe(true);
  const doubled = collected.events.length - ids.size;
  expect(doubled, 'redelivered events stay within the unacknowledged bound').toBeLessThanOrEqual(MAX_PENDING);
  return doubled;
}

describe.runIf(!isExternal(mariadbService, stack.endpoints))('the capture survives the database', () => {
  it('reconnects by itself from its saved position when MariaDB restarts under a steady write load', async () => {
    const db = await createDatabaseSurvivingRestarts('restart');
    const prefix = uniqueName('restart');
    const { starts } = superviseCapture(db, prefix);
    await waitFor(() => starts[0]?.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    const load = startLoad(db);
    await sleep(3_000);
    await stackDown(stack, { services: [mariadbService] });
    await sleep(3_000);
    await stackUp(stack, [mariadbService]);
    await sleep(3_000);
    const written = await load.stop();
    const doubled = await expectEveryRowOnce(prefix, db, written);
    expect(starts.length, 'the capture was started again').toBeGreaterThan(1);
    process.stdout.write(`MariaDB restarted: ${written} rows written, ${starts.length} captures started, ${doubled} events redelivered\n`);
  });

  it('detects a half-open connection (the server stops answering, no FIN) by the binlog heartbeat and resumes', async () => {
    const db = await createDatabaseSurvivingRestarts('halfopen');
    const prefix = uniqueName('halfopen');
    const { starts } = superviseCapture(db, prefix);
    await waitFor(() => starts[0]?.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    const load = startLoad(db);
    await sleep(2_000);
    const pid = readPidFile(mariadbService.paths(stack).pidFile);
    expect(pid, 'the stack runs mariadbd').toBeDefined();
    // SIGSTOP freezes the server with its sockets open: the capture's connection goes silent
    process.kill(pid!, 'SIGSTOP');
    try {
      await waitFor(() => starts.length > 1, { timeoutMs: 30_000, description: 'the silent connection detected and a new capture started' });
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    await sleep(3_000);
    const written = await load.stop();
    const doubled = await expectEveryRowOnce(prefix, db, written);
    process.stdout.write(`half-open connection: ${written} rows written, ${starts.length} captures started, ${doubled} events redelivered\n`);
  });
});
