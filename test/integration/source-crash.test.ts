import { afterEach, describe, expect, it } from 'vitest';
import { PositionStore } from '../../src/streams/position-store.js';
import { changeTopic, positionTopic } from '../../src/streams/topic-names.js';
import type { SavedCapturePosition } from '../../src/pipeline/mysql-capture.js';
import { collectChangeEvents } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql, testKafka } from '../helpers/services.js';
import { pipelineYaml, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ROWS = 100_000;
const BATCH = 1_000;

describe('sluice source killed with SIGKILL', () => {
  it('resumes a 100,000-row transaction with no gap and at most two batches delivered twice', { timeout: 600_000 }, async () => {
    const db = await createTestDatabase(cleanup, 'crash');
    const pipeline = uniqueName('crash').replaceAll('_', '-');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(40))');
    const file = writePipelineFile(pipelineYaml(pipeline, [db], { mysqlExtra: 'positionSaveIntervalMs: 500', kafkaExtra: `partitions: 3\nbatch: { maxMessages: ${BATCH}, maxDelayMs: 20 }` }));
    const kafka = testKafka();
    const positions = new PositionStore<SavedCapturePosition>(kafka, positionTopic(pipeline));
    const admin = kafka.admin();
    await admin.connect();
    cleanup.add(() => admin.disconnect());
    const topic = changeTopic(pipeline, db, 'big');
    const messagesInTopic = async (): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);

    const first = startSluice(['source', '-c', file], cleanup);
    await waitFor(async () => (await positions.load(`mysql:${pipeline}`))?.snapshotCompleted, { timeoutMs: 60_000, intervalMs: 500, description: 'the (empty) snapshot' });
    await sql.query(`INSERT INTO big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_${ROWS}`);
    await waitFor(async () => (await messagesInTopic()) >= 30_000, { timeoutMs: 120_000, intervalMs: 50, description: '30,000 rows in Kafka' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(137);
    const inKafkaAtKill = await messagesInTopic();
    const saved = await positions.load(`mysql:${pipeline}`);
    const rowsDone = saved?.inTransaction?.rowsDone ?? 0;
    expect(rowsDone, 'a position inside the transaction was saved').toBeGreaterThan(0);
    expect(rowsDone).toBeLessThanOrEqual(inKafkaAtKill);
    expect(inKafkaAtKill).toBeLessThan(ROWS);

    const second = startSluice(['source', '-c', file], cleanup);
    await waitFor(async () => (await positions.load(`mysql:${pipeline}`))?.inTransaction === undefined && (await messagesInTopic()) >= ROWS, {
      timeoutMs: 300_000,
      intervalMs: 500,
      description: 'the rest of the transaction',
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const total = await messagesInTopic();
    const collected = await collectChangeEvents(kafka, pipeline, [topic], cleanup);
    await waitFor(() => collected.events.length >= total, { timeoutMs: 120_000, description: 'reading every message back' });
    const ids = new Set(collected.events.map((read) => read.event.after?.id));
    const duplicates = collected.events.length - ROWS;
    process.stdout.write(`kill -9 at ${inKafkaAtKill} rows in Kafka, saved position ${rowsDone} rows into the transaction, ${duplicates} rows delivered twice\n`);
    expect(ids.size, 'no row missing').toBe(ROWS);
    expect(duplicates, 'only rows after the saved position are re-sent').toBe(inKafkaAtKill - rowsDone);
    expect(duplicates).toBeLessThanOrEqual(2 * BATCH);
  });
});
