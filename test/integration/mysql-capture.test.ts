import { afterEach, describe, expect, it } from 'vitest';
import { gtidPositionReached } from '../../src/sources/mysql/gtid-position.js';
import type { Connection } from 'mysql2/promise';
import type { MysqlCapture, MysqlCaptureSettings } from '../../src/pipeline/mysql-capture.js';
import { startTestCapture, type TestCapture } from '../helpers/capture.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import { collectChangeEvents, latestByKey, readWholeTopic, type ReadEvent } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql, testKafka } from '../helpers/services.js';
import { pipelineYaml, runCli, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function startCapture(db: string, prefix: string, overrides: Partial<MysqlCaptureSettings> = {}): TestCapture {
  return startTestCapture(cleanup, db, prefix, overrides);
}

async function rows(connection: Connection, table: string): Promise<Array<Record<string, unknown>>> {
  const [result] = await connection.query(`SELECT * FROM \`${table}\``);
  return result as Array<Record<string, unknown>>;
}

function latestRows(events: readonly ReadEvent[], topic: string): Map<string, Record<string, unknown> | null> {
  const state = new Map<string, Record<string, unknown> | null>();
  for (const [key, event] of latestByKey(events.filter((read) => read.topic === topic))) state.set(key.split('|')[1], event.after);
  return state;
}

/** Waits until the capture saved a position that includes the last transaction of `connection`. */
async function waitUntilCaughtUp(capture: MysqlCapture, connection: Connection): Promise<void> {
  const [result] = await connection.query('SELECT @@last_gtid AS gtid');
  const lastGtid = (result as Array<{ gtid: string }>)[0]?.gtid ?? '';
  await waitFor(() => gtidPositionReached(capture.stats.lastSaved?.gtidPosition ?? '', lastGtid), { description: `position ${lastGtid} saved`, timeoutMs: 60_000 });
}

/** The last event of every key equals the table's row now; keys gone from the table end with a delete. */
async function expectFinalEventsEqualTable(events: readonly ReadEvent[], topic: string, sql: Connection): Promise<void> {
  const captured = latestRows(events, topic);
  const table = new Map((await rows(sql, 't')).map((row) => [JSON.stringify({ id: row.id }), row]));
  for (const [key, row] of table) expect(captured.get(key), key).toEqual(row);
  for (const [key, after] of captured) if (!table.has(key)) expect(after, `${key} was deleted`).toBeNull();
}

describe('MySQL capture', () => {
  it('snapshots, hands over to the binlog without gap or double, and keeps per-row order', async () => {
    const db = await createTestDatabase(cleanup, 'capture');
    const prefix = uniqueName('cap');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2))');
    await sql.query('CREATE TABLE link (a INT, b INT, note VARCHAR(10), PRIMARY KEY (a, b))');
    await sql.query("INSERT INTO item VALUES (1,'one',1.10),(2,'two',2.20),(3,'three',3.30),(4,'four',4.40),(5,'five',5.50),(6,'six',6.60),(7,'seven',7.70)");
    await sql.query("INSERT INTO link VALUES (1,1,'x'),(1,2,'y')");
    await sql.query('CREATE TABLE nokey (x INT, note VARCHAR(10))');
    await sql.query("INSERT INTO nokey VALUES (1, 'a'), (1, 'a')");

    const { capture } = startCapture(db, prefix);
    // changes racing with the snapshot: each lands either in the snapshot or in the stream, never lost
    await sql.query("UPDATE item SET name = 'one-racing' WHERE id = 1");
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot', timeoutMs: 60_000 });

    await sql.query("UPDATE item SET price = 9.99 WHERE id = 2");
    await sql.query('DELETE FROM item WHERE id = 3');
    await sql.query("INSERT INTO item VALUES (10,'ten',10.00),(11,'eleven',11.00),(12,'twelve',12.00)");
    await sql.beginTransaction();
    await sql.query("INSERT INTO item VALUES (13,'thirteen',13.00)");
    await sql.query("UPDATE item SET name = 'eleven-tx' WHERE id = 11");
    await sql.query('DELETE FROM item WHERE id = 12');
    await sql.commit();
    await sql.query("UPDATE link SET note = 'z' WHERE a = 1 AND b = 2");
    await sql.query('DELETE FROM link WHERE a = 1 AND b = 1');
    await sql.query("UPDATE nokey SET note = 'b' LIMIT 1");
    await sql.query("INSERT INTO item VALUES (99,'last',0.01)");

    await waitUntilCaughtUp(capture, sql);
    const itemTopic = changeTopic(prefix, db, 'item');
    const linkTopic = changeTopic(prefix, db, 'link');
    const collected = { events: [...(await readWholeTopic(testKafka(), prefix, itemTopic, cleanup)), ...(await readWholeTopic(testKafka(), prefix, linkTopic, cleanup))] };
    expect(collected.events.some((read) => read.event.after?.id === 99), 'the last change').toBe(true);

    const itemsNow = new Map((await rows(sql, 'item')).map((row) => [JSON.stringify({ id: row.id }), row]));
    const itemsCaptured = latestRows(collected.events, itemTopic);
    for (const [key, row] of itemsNow) expect(itemsCaptured.get(key), key).toEqual({ ...row, price: String(row.price) });
    for (const [key, after] of itemsCaptured) if (!itemsNow.has(key)) expect(after, `${key} deleted`).toBeNull();
    expect(latestRows(collected.events, linkTopic)).toEqual(new Map([
      ['{"a":1,"b":1}', null],
      ['{"a":1,"b":2}', { a: 1, b: 2, note: 'z' }],
    ]));

    // a table without a primary key: null keys, one partition, every change in order
    const noKeyTopic = changeTopic(prefix, db, 'nokey');
    const noKeyEvents = await readWholeTopic(testKafka(), prefix, noKeyTopic, cleanup);
    expect(noKeyEvents.map((read) => [read.key, read.partition, read.event.op, read.event.after?.note])).toEqual([
      [null, 0, 'r', 'a'],
      [null, 0, 'r', 'a'],
      [null, 0, 'u', 'b'],
    ]);

    const snapshotEvents = collected.events.filter((read) => read.event.op === 'r');
    expect(snapshotEvents.every((read) => read.event.source.snapshot !== 'false')).toBe(true);
    const streamed = collected.events.filter((read) => read.event.op !== 'r');
    expect(streamed.every((read) => /^binlog\.\d+$/.test(read.event.source.file ?? '') && (read.event.source.pos ?? 0) > 0)).toBe(true);
    const perRow = new Set(streamed.map((read) => `${read.event.source.gtid}/${read.event.source.row}/${read.topic}`));
    expect(perRow.size, 'no streamed change delivered twice').toBe(streamed.length);
    const transaction = streamed.filter((read) => read.event.after?.id === 13 || read.event.after?.name === 'eleven-tx' || read.event.before?.id === 12);
    expect(new Set(transaction.map((read) => read.event.source.gtid)).size).toBe(1);
    expect(transaction.map((read) => read.event.transaction?.totalOrder).sort()).toEqual([1, 2, 3]);
    expect(transaction.map((read) => read.event.op).sort()).toEqual(['c', 'd', 'u']);
  });

  it('under concurrent writes during the snapshot, ends with a final event per key equal to the final row', async () => {
    const db = await createTestDatabase(cleanup, 'race');
    const prefix = uniqueName('race');
    const sql = await openMysql(cleanup, db);
    const writer = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, v INT, note VARCHAR(20))');
    await sql.query("INSERT INTO t SELECT seq, 0, 'initial' FROM seq_1_to_2000");
    let writing = true;
    let operations = 0;
    let nextId = 2001;
    const load = (async () => {
      while (writing) {
        const id = 1 + Math.floor(Math.random() * (nextId - 1));
        const choice = Math.random();
        if (choice < 0.6) await writer.query('UPDATE t SET v = v + 1, note = ? WHERE id = ?', [`u${operations}`, id]);
        else if (choice < 0.8) await writer.query('DELETE FROM t WHERE id = ?', [id]);
        else await writer.query('INSERT INTO t VALUES (?, 0, ?)', [nextId++, `i${operations}`]);
        operations += 1;
      }
    })();
    const { capture } = startCapture(db, prefix, { snapshot: { mode: 'initial', pageSize: 50 } });
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot', timeoutMs: 60_000 });
    writing = false;
    await load;
    await waitUntilCaughtUp(capture, writer);
    expect(operations, 'writes raced with the snapshot').toBeGreaterThan(50);

    const topic = changeTopic(prefix, db, 't');
    await expectFinalEventsEqualTable(await readWholeTopic(testKafka(), prefix, topic, cleanup), topic, sql);
  });

  it('snapshots a table again on request while streaming, chunk by chunk, without regressing any row', async () => {
    const db = await createTestDatabase(cleanup, 'incr');
    const prefix = uniqueName('incr');
    const sql = await openMysql(cleanup, db);
    const writer = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    await sql.query('INSERT INTO t SELECT seq, 0 FROM seq_1_to_500');
    const { capture } = startCapture(db, prefix, { snapshot: { mode: 'initial', pageSize: 50 } });
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot', timeoutMs: 60_000 });
    let writing = true;
    const load = (async () => {
      for (let n = 0; writing; n += 1) {
        const id = 1 + Math.floor(Math.random() * 520);
        if (n % 5 === 4) await writer.query('DELETE FROM t WHERE id = ?', [id]);
        else await writer.query('INSERT INTO t VALUES (?, 1) ON DUPLICATE KEY UPDATE v = v + 1', [id]);
      }
    })();
    const file = writePipelineFile(pipelineYaml(prefix, [db]));
    expect((await runCli(['snapshot', '-c', file, '--table', `${db}.t`])).code).toBe(0);
    await waitFor(() => capture.stats.snapshotRows > 500 && capture.stats.lastSaved?.incremental === undefined, { description: 'the incremental snapshot', timeoutMs: 60_000 });
    writing = false;
    await load;
    await waitUntilCaughtUp(capture, writer);

    const topic = changeTopic(prefix, db, 't');
    const events = await readWholeTopic(testKafka(), prefix, topic, cleanup);
    expect(events.filter((read) => read.event.source.snapshot === 'incremental').length).toBeGreaterThan(300);
    await expectFinalEventsEqualTable(events, topic, sql);
  });

  it('saves no position when stopped in the middle of its snapshot, so the next start snapshots everything', async () => {
    const db = await createTestDatabase(cleanup, 'halfsnap');
    const prefix = uniqueName('half');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    await sql.query('INSERT INTO t SELECT seq, seq FROM seq_1_to_3000');
    const first = startCapture(db, prefix, { snapshot: { mode: 'initial', pageSize: 10 } });
    await waitFor(() => first.capture.stats.snapshotRows > 0, { description: 'the snapshot under way' });
    await first.stop();
    expect(first.capture.stats.snapshotRows).toBeLessThan(3000);
    expect(first.capture.stats.lastSaved).toBeUndefined();

    const second = startCapture(db, prefix, { snapshot: { mode: 'initial', pageSize: 500 } });
    await waitFor(() => second.capture.stats.lastSaved?.snapshotCompleted, { description: 'the full snapshot', timeoutMs: 60_000 });
    expect(second.capture.stats.snapshotRows).toBe(3000);
  });

  it('resumes from its saved position after a stop: changes made meanwhile arrive once', async () => {
    const db = await createTestDatabase(cleanup, 'resume');
    const prefix = uniqueName('res');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    await sql.query('INSERT INTO t VALUES (1, 1)');
    const first = startCapture(db, prefix);
    await waitFor(() => first.capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    await sql.query('UPDATE t SET v = 2 WHERE id = 1');
    await waitFor(() => first.capture.stats.streamedRows === 1 && first.capture.stats.batches >= 1, { description: 'the update acknowledged by Kafka' });
    await first.stop();

    await sql.query('INSERT INTO t VALUES (2, 20)');
    await sql.query('UPDATE t SET v = 3 WHERE id = 1');
    const second = startCapture(db, prefix);
    const collected = await collectChangeEvents(testKafka(), prefix, [changeTopic(prefix, db, 't')], cleanup);
    await waitFor(() => collected.events.some((read) => read.event.after?.v === 3), { description: 'the change made while stopped' });
    expect(second.capture.stats.snapshotRows).toBe(0);
    expect(collected.events.map((read) => [read.event.op, read.event.after?.v])).toEqual([
      ['r', 1],
      ['u', 2],
      ['c', 20],
      ['u', 3],
    ]);
  });

  it('follows ALTER TABLE mid-stream: old events decode with their schema, new ones carry the new shape', async () => {
    const db = await createTestDatabase(cleanup, 'ddl');
    const prefix = uniqueName('ddl');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10), legacy INT)');
    const { capture } = startCapture(db, prefix);
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    await sql.query("INSERT INTO t VALUES (1, 'a', 7)");
    await sql.query('ALTER TABLE t ADD COLUMN color VARCHAR(10), DROP COLUMN legacy, MODIFY COLUMN name VARCHAR(40)');
    await sql.query("INSERT INTO t VALUES (2, 'b', 'red')");
    await sql.query("UPDATE t SET color = 'blue' WHERE id = 1");
    const collected = await collectChangeEvents(testKafka(), prefix, [changeTopic(prefix, db, 't')], cleanup);
    await waitFor(() => collected.events.length === 3, { description: 'three events' });
    expect(collected.events.map((read) => read.event.after)).toEqual([
      { id: 1, name: 'a', legacy: 7 },
      { id: 2, name: 'b', color: 'red' },
      { id: 1, name: 'a', color: 'blue' },
    ]);
  });

  it('carries every column type exactly, the same from the snapshot and from the binlog', async () => {
    const db = await createTestDatabase(cleanup, 'types');
    const prefix = uniqueName('typ');
    const sql = await openMysql(cleanup, db);
    await sql.query(`CREATE TABLE t (id BIGINT UNSIGNED PRIMARY KEY, sb BIGINT, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, iu INT UNSIGNED,
      d DECIMAL(30,10), f FLOAT, db DOUBLE, dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(3) NULL, dte DATE, tm TIME(6), yr YEAR, js JSON,
      en ENUM('a','b,c'), st SET('x','y','z'), bl BLOB, bn BINARY(4), vb VARBINARY(10), bt BIT(10), vc VARCHAR(20), tx TEXT, nul INT NULL)`);
    const values = `-9223372036854775808, -128, 255, -32768, -8388608, 4294967295, '-12345678901234567890.0123456789', 1.5, 2.25,
      '2024-02-29 23:59:59.123456', '1000-01-01 00:00:00', '2038-01-19 03:14:07.999', '9999-12-31', '-838:59:59.000000', 2155,
      '{"a":[1,2.50,null],"big":12345678901234567890}', 'b,c', 'x,z', X'00FF', X'01020304', X'0A', b'1000000001', 'héllo', 'text', NULL`;
    await sql.query(`INSERT INTO t VALUES (18446744073709551614, ${values})`);
    const { capture } = startCapture(db, prefix);
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    await sql.query(`INSERT INTO t VALUES (18446744073709551615, ${values})`);
    const collected = await collectChangeEvents(testKafka(), prefix, [changeTopic(prefix, db, 't')], cleanup);
    await waitFor(() => collected.events.length === 2, { description: 'both rows' });
    const [snapshotRow, streamedRow] = collected.events.map((read) => read.event.after);
    const expected = {
      sb: '-9223372036854775808', ti: -128, tiu: 255, si: -32768, mi: -8388608, iu: 4294967295, d: '-12345678901234567890.0123456789',
      f: 1.5, db: 2.25, dt: '2024-02-29 23:59:59.123456', dt0: '1000-01-01 00:00:00', ts: '2038-01-19 03:14:07.999', dte: '9999-12-31',
      tm: '-838:59:59.000000', yr: 2155, js: '{"a":[1,2.50,null],"big":12345678901234567890}', en: 'b,c', st: 'x,z',
      bl: Buffer.from([0x00, 0xff]), bn: Buffer.from([1, 2, 3, 4]), vb: Buffer.from([0x0a]), bt: Buffer.from([0x02, 0x01]), vc: 'héllo', tx: 'text', nul: null,
    };
    expect(snapshotRow).toEqual({ id: '18446744073709551614', ...expected });
    expect(streamedRow).toEqual({ id: '18446744073709551615', ...expected });
    expect(collected.events[1]?.key).toBe('{"id":"18446744073709551615"}');
  });
});
