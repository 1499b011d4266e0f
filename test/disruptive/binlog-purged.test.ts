import { afterEach, describe, expect, it } from 'vitest';
import { PositionStore } from '../../src/streams/position-store.js';
import type { SavedCapturePosition } from '../../src/pipeline/mysql-capture.js';
import { changeTopic, positionTopic } from '../../src/streams/topic-names.js';
import { collectChangeEvents } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql, testKafka } from '../helpers/services.js';
import { pipelineYaml, runCli, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a binlog purged past the saved position', () => {
  it('stops with the error that says to re-snapshot, and re-snapshots when told to', async () => {
    const db = await createTestDatabase(cleanup, 'purged');
    const pipeline = uniqueName('purged').replaceAll('_', '-');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))');
    await sql.query("INSERT INTO t VALUES (1, 'a')");
    const file = (onPurge: string): string => writePipelineFile(pipelineYaml(pipeline, [db], { mysqlExtra: `binlogPurged: ${onPurge}` }));
    const positions = new PositionStore<SavedCapturePosition>(testKafka(), positionTopic(pipeline));
    const first = startSluice(['source', '-c', file('fail')], cleanup);
    await waitFor(async () => (await positions.load(`mysql:${pipeline}`))?.snapshotCompleted, { timeoutMs: 60_000, intervalMs: 300, description: 'the snapshot' });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // while the source is stopped: a change, then the binlog holding it and the saved position is purged
    await sql.query("INSERT INTO t VALUES (2, 'lost')");
    await sql.query('FLUSH BINARY LOGS');
    await sql.query("INSERT INTO t VALUES (3, 'b')");
    const [status] = await sql.query('SHOW MASTER STATUS');
    const current = (status as Array<{ File: string }>)[0]?.File ?? '';
    await sql.query(`PURGE BINARY LOGS TO '${current}'`);

    const { code, stderr: message } = await runCli(['source', '-c', file('fail')]);
    expect(code).toBe(1);
    expect(message).toContain('is no longer available (purged)');
    expect(message).toContain('sluice source --resnapshot');

    const second = startSluice(['source', '-c', file('snapshot')], cleanup);
    const collected = await collectChangeEvents(testKafka(), pipeline, [changeTopic(pipeline, db, 't')], cleanup);
    await waitFor(() => collected.events.filter((read) => read.event.op === 'r').length >= 4, { timeoutMs: 60_000, description: 'the new snapshot' });
    const readsPerId = new Map<unknown, number>();
    for (const read of collected.events) readsPerId.set(read.event.after?.id, (readsPerId.get(read.event.after?.id) ?? 0) + 1);
    // row 1 from both snapshots; row 2, whose binlog was purged, recovered by the new snapshot
    expect(Object.fromEntries(readsPerId)).toEqual({ 1: 2, 2: 1, 3: 1 });
    expect(collected.events.every((read) => read.event.op === 'r')).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
