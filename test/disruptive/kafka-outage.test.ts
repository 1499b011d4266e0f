import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { mysqlCapture, type MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { isTransientMysqlError } from '../../src/sources/mysql/mysql-source.js';
import { runCaptureUntilStopped } from '../../src/streams/capture-supervisor.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import { kafkaService } from '../../stack/services/kafka.js';
import { createStackContext, isExternal, stackDown, stackUp } from '../../stack/stack.js';
import { collectChangeEvents } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OUTAGE_MS = 60_000;
const stack = createStackContext();

describe.runIf(!isExternal(kafkaService, stack.endpoints))('a 60-second Kafka outage under a steady write load', () => {
  it('pauses reading, keeps memory bounded, loses nothing and catches up by itself', async () => {
    const db = await createTestDatabase(cleanup, 'outage');
    const prefix = uniqueName('outage');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, at BIGINT)');
    // supervised, as `sluice source` runs it: a topic created a moment ago may answer
    // UNKNOWN_TOPIC_OR_PARTITION until its metadata spreads, and the capture starts again
    const controller = new AbortController();
    const starts: MysqlCapture[] = [];
    const retryPolicy = { initialDelayMs: 200, maxDelayMs: 2_000, multiplier: 2, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: 5 * 60_000, jitter: 0.2 };
    const running = runCaptureUntilStopped(
      mysqlCapture(testKafka()),
      isTransientMysqlError,
      {
        pipeline: prefix, topicPrefix: prefix, partitions: 2, replicationFactor: 1,
        connection: mysqlConnectionOptions(endpoints.mysqlUrl), serverId: 300_000 + Math.floor(Math.random() * 1_000_000),
        databases: [db], filter: () => true, snapshot: { mode: 'initial', pageSize: 100 },
        batch: { maxMessages: 100, maxDelayMs: 20 }, positionIntervalMs: 500, maxPendingEvents: 1_000,
        retryPolicy,
        logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
      },
      controller.signal,
      (started) => starts.push(started),
      retryPolicy,
    );
    cleanup.add(async () => {
      controller.abort();
      await running;
    });
    const stats = { get pauses(): number { return starts.reduce((sum, started) => sum + started.stats.pauses, 0); }, get maxPending(): number { return Math.max(0, ...starts.map((started) => started.stats.maxPending)); } };
    await waitFor(() => starts.some((started) => started.stats.lastSaved?.snapshotCompleted), { description: 'the snapshot' });

    let written = 0;
    let writing = true;
    const load = (async () => {
      while (writing) {
        written += 1;
        await sql.query('INSERT INTO t VALUES (?, ?)', [written, Date.now()]);
        await sleep(5);
      }
    })();
    await sleep(5_000);
    const startsBeforeOutage = starts.length;
    await stackDown(stack, { services: [kafkaService] });
    const downAt = Date.now();
    const writtenAtOutage = written;
    await sleep(OUTAGE_MS);
    const writtenDuringOutage = written - writtenAtOutage;
    // the capture waits for Kafka with retries and backpressure; it does not die and start over
    expect(starts.length, 'the capture kept running through the outage').toBe(startsBeforeOutage);
    expect(stats.pauses, 'reading paused while Kafka was down').toBeGreaterThan(0);
    await stackUp(stack, [kafkaService]);
    process.stdout.write(`Kafka down for ${Math.round((Date.now() - downAt) / 1000)} s while ${writtenDuringOutage} rows were written\n`);
    await sleep(5_000);
    writing = false;
    await load;

    const collected = await collectChangeEvents(testKafka(), prefix, [changeTopic(prefix, db, 't')], cleanup);
    await waitFor(() => new Set(collected.events.map((read) => read.event.after?.id)).size >= written, { timeoutMs: 180_000, intervalMs: 500, description: `all ${written} rows in Kafka` });
    const ids = new Set(collected.events.map((read) => read.event.after?.id));
    for (let id = 1; id <= written; id += 1) expect(ids.has(id), `row ${id}`).toBe(true);
    expect(stats.maxPending, 'unacknowledged events stayed bounded').toBeLessThan(1_000 + 5_000);
    process.stdout.write(`captured ${written} rows, at most ${stats.maxPending} unacknowledged, ${stats.pauses} pauses\n`);
  });
});
