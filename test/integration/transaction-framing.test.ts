import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import { FRAMING_CASES } from '../fixtures/binlog-framing/cases.js';
import { collectChangeEvents, type ReadEvent } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Starts a capture of `db` into topics named after `prefix`; `stop` aborts it and waits. */
function startCapture(db: string, prefix: string, serverId: number): { capture: MysqlCapture; stop: () => Promise<void> } {
  const controller = new AbortController();
  const capture = new MysqlCapture(testKafka(), {
    pipeline: prefix,
    topicPrefix: prefix,
    partitions: 1,
    replicationFactor: 1,
    connection: mysqlConnectionOptions(endpoints.mysqlUrl),
    serverId,
    databases: [db],
    filter: () => true,
    snapshot: { mode: 'initial', pageSize: 100 },
    batch: { maxMessages: 100, maxDelayMs: 20 },
    positionIntervalMs: 200,
    retryPolicy: { ...TEST_RETRY_POLICY, maxAttempts: 50, maxElapsedMs: 60_000, maxDelayMs: 1_000 },
    logger: pino({ level: 'silent' }),
  });
  const running = capture.run(controller.signal);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    controller.abort();
    await running;
  };
  cleanup.add(stop);
  return { capture, stop };
}

/** Commits a marker row and waits until the capture saved a position that includes it. */
async function waitUntilCaughtUp(capture: MysqlCapture, sql: Connection): Promise<void> {
  await sql.query('INSERT INTO marker VALUES (NULL)');
  const [result] = await sql.query('SELECT @@last_gtid AS gtid');
  const lastGtid = (result as Array<{ gtid: string }>)[0]?.gtid ?? '';
  await waitFor(() => capture.stats.lastSaved?.gtidPosition.split(',').includes(lastGtid), { description: `position ${lastGtid} saved`, timeoutMs: 60_000 });
}

/** Every change event of the tables' topics, read from the beginning in one consumer. */
async function readTopics(prefix: string, db: string, tables: readonly string[]): Promise<Map<string, ReadEvent[]>> {
  const kafka = testKafka();
  const topics = tables.map((table) => changeTopic(prefix, db, table));
  const admin = kafka.admin();
  await admin.connect();
  let total = 0;
  try {
    for (const topic of topics) total += (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
  const collected = await collectChangeEvents(kafka, prefix, topics, cleanup);
  await waitFor(() => collected.events.length >= total, { description: `the ${total} events of ${topics.join(', ')}`, timeoutMs: 120_000 });
  return new Map(tables.map((table, index) => [table, collected.events.filter((read) => read.topic === topics[index])]));
}

/**
 * The topics, replayed key by key, equal the tables (a column added later reads as null in
 * events logged before it); no key appears that a table never committed.
 */
async function expectTopicsEqualTables(prefix: string, db: string, tables: readonly string[], sql: Connection): Promise<Map<string, ReadEvent[]>> {
  const topics = await readTopics(prefix, db, tables);
  for (const table of tables) {
    const [rows] = await sql.query(`SELECT * FROM \`${table}\` ORDER BY id`);
    const committed = new Map((rows as Array<Record<string, unknown>>).map((row) => [row.id, row]));
    const columns = Object.fromEntries(Object.keys([...committed.values()][0] ?? {}).map((column) => [column, null]));
    const replayed = new Map<unknown, Record<string, unknown> | null>();
    for (const read of topics.get(table) ?? []) replayed.set((read.event.after ?? read.event.before)?.id, read.event.after === null ? null : { ...columns, ...read.event.after });
    expect(new Map([...replayed].filter(([, after]) => after !== null)), `${table}: the topic replayed equals the table`).toEqual(committed);
  }
  return topics;
}

const SETUP = [
  'CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB',
  'CREATE TABLE n (id INT PRIMARY KEY, v INT) ENGINE=Aria TRANSACTIONAL=0',
  'CREATE TABLE m (id INT PRIMARY KEY, v INT) ENGINE=MyISAM',
  'CREATE TABLE marker (id INT AUTO_INCREMENT PRIMARY KEY)',
];

describe('transaction framing against MariaDB: the change topics equal the tables', () => {
  for (const [name, spec] of Object.entries(FRAMING_CASES)) {
    it(`${name}`, async () => {
      const db = await createTestDatabase(cleanup, 'framing');
      const prefix = uniqueName('frm');
      const admin = await openMysql(cleanup, db);
      for (const statement of SETUP) await admin.query(statement);
      const { capture } = startCapture(db, prefix, 200_000 + Math.floor(Math.random() * 1_000_000));
      await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the (empty) snapshot', timeoutMs: 60_000 });
      const sessions = await Promise.all(spec.sessions.map(() => openMysql(cleanup, db)));
      const longest = Math.max(...spec.sessions.map((statements) => statements.length));
      for (let step = 0; step < longest; step += 1) {
        for (const [index, statements] of spec.sessions.entries()) {
          const statement = statements[step];
          if (statement !== undefined) await sessions[index].query(statement.replaceAll('$db', db));
        }
      }
      await waitUntilCaughtUp(capture, admin);
      await expectTopicsEqualTables(prefix, db, name === 'ddl' ? ['t', 'n', 'm', 'c'] : ['t', 'n', 'm'], admin);
    });
  }

  it('savepoints: the issue\'s transactions reach the topic row by row, rolled-back row 5 never', async () => {
    const db = await createTestDatabase(cleanup, 'framing');
    const prefix = uniqueName('frm');
    const admin = await openMysql(cleanup, db);
    for (const statement of SETUP) await admin.query(statement);
    const { capture } = startCapture(db, prefix, 200_000 + Math.floor(Math.random() * 1_000_000));
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the (empty) snapshot', timeoutMs: 60_000 });
    for (const statement of FRAMING_CASES.savepoints.sessions[0]) await admin.query(statement);
    await waitUntilCaughtUp(capture, admin);
    const events = (await expectTopicsEqualTables(prefix, db, ['t'], admin)).get('t') ?? [];
    expect(events.map((read) => `${read.event.op}${String((read.event.after ?? read.event.before)?.id)}`)).toEqual(['c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8', 'c9', 'c10', 'u1', 'u2']);
  });

  it('a capture stopped while an XA transaction is prepared delivers its rows after the restart', async () => {
    const db = await createTestDatabase(cleanup, 'framing');
    const prefix = uniqueName('frm');
    const admin = await openMysql(cleanup, db);
    for (const statement of SETUP) await admin.query(statement);
    const serverId = 200_000 + Math.floor(Math.random() * 1_000_000);
    const first = startCapture(db, prefix, serverId);
    await waitFor(() => first.capture.stats.lastSaved?.snapshotCompleted, { description: 'the (empty) snapshot', timeoutMs: 60_000 });
    const xa = await openMysql(cleanup, db);
    for (const statement of ["XA START 'held'", 'INSERT INTO t VALUES (1,1),(2,2)', "XA END 'held'", "XA PREPARE 'held'"]) await xa.query(statement);
    await admin.query('INSERT INTO t VALUES (3,3)');
    await waitUntilCaughtUp(first.capture, admin);
    expect(first.capture.stats.lastSaved?.heldFrom, 'the saved position holds the prepared XA transaction').toBeDefined();
    await first.stop();

    await xa.query("XA COMMIT 'held'");
    await admin.query('INSERT INTO t VALUES (4,4)');
    const second = startCapture(db, prefix, serverId);
    await waitUntilCaughtUp(second.capture, admin);
    expect(second.capture.stats.lastSaved?.heldFrom).toBeUndefined();
    const events = (await expectTopicsEqualTables(prefix, db, ['t'], admin)).get('t') ?? [];
    // row 3 was delivered before the restart and is not delivered again
    expect(events.map((read) => (read.event.after ?? read.event.before)?.id)).toEqual([3, 1, 2, 4]);
  });
});
