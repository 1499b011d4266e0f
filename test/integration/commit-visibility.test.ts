import type { Connection } from 'mysql2/promise';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { binlogStatus } from '../../src/descriptors/snapshot-version.js';
import { CommitVisibility } from '../../src/sinks/commit-visibility.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testZongji } from '../helpers/services.js';
import { nextEvent } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Updates committed while the binlog is read: enough for the visibility race to show on a busy machine. */
const UPDATES = 6000;

/** The parts of zongji's rotate and update events the test reads. */
interface CounterEvent {
  getEventName(): string;
  readonly binlogName?: string;
  readonly nextPosition: number;
  readonly rows?: Array<{ after: { v: unknown } }>;
}

/** `v` of the row in a fresh consistent snapshot on `connection`. */
async function readInSnapshot(connection: Connection, table: string): Promise<number> {
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  try {
    const [rows] = await connection.query(`SELECT v FROM ${table} WHERE id = 1`);
    return Number((rows as Array<{ v: unknown }>)[0]?.v);
  } finally {
    await connection.query('COMMIT');
  }
}

describe('commit visibility against MariaDB', () => {
  it('a snapshot started once CommitVisibility let a change through always contains it, however soon after the binlog delivered it', async () => {
    const database = await createTestDatabase(cleanup, 'visibility');
    const writer = await openMysql(cleanup, database);
    await writer.query('CREATE TABLE counter (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB');
    await writer.query('INSERT INTO counter VALUES (1, 0)');
    // the pool the sink reads with
    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 4);
    cleanup.add(() => pool.end());
    const visibility = CommitVisibility.ofPool(pool, { logger: pino({ level: 'silent' }) });
    // readers taken as events arrive: a check runs only when one is free, so checks start right after delivery
    const guarded = await Promise.all([1, 2, 3].map(() => openMysql(cleanup, database)));
    const unguarded = await Promise.all([1, 2, 3].map(() => openMysql(cleanup, database)));

    const start = await binlogStatus(async (sql) => (await writer.query(sql))[0]);
    let file = start.file;
    const zongji = testZongji(cleanup);
    const counts = { events: 0, guardedChecks: 0, guardedStale: 0, unguardedChecks: 0, unguardedStale: 0 };
    const checks: Array<Promise<void>> = [];
    const errors: unknown[] = [];
    zongji.on('error', (error: unknown) => errors.push(error));
    zongji.on('binlog', (payload: unknown) => {
      const event = payload as CounterEvent;
      if (event.getEventName() === 'rotate' && event.binlogName !== undefined) file = event.binlogName;
      if (event.getEventName() !== 'updaterows' || event.rows === undefined) return;
      counts.events += 1;
      const expected = Number(event.rows[0]?.after.v);
      const position = { file, position: event.nextPosition };
      const unguardedReader = unguarded.pop();
      if (unguardedReader !== undefined) {
        checks.push(
          readInSnapshot(unguardedReader, 'counter')
            .then((seen) => {
              counts.unguardedChecks += 1;
              if (seen < expected) counts.unguardedStale += 1;
            })
            .finally(() => unguarded.push(unguardedReader)),
        );
      }
      const guardedReader = guarded.pop();
      if (guardedReader !== undefined) {
        checks.push(
          visibility
            .waitFor(position)
            .then(() => readInSnapshot(guardedReader, 'counter'))
            .then((seen) => {
              counts.guardedChecks += 1;
              if (seen < expected) counts.guardedStale += 1;
            })
            .finally(() => guarded.push(guardedReader)),
        );
      }
    });
    const ready = nextEvent<void>(zongji, 'ready');
    zongji.start({ serverId: 10_000 + Math.floor(Math.random() * 1_000_000), filename: start.file, position: start.position, includeEvents: ['rotate', 'tablemap', 'updaterows'], includeSchema: { [database]: ['counter'] } });
    await ready;

    for (let value = 1; value <= UPDATES; value += 1) await writer.query('UPDATE counter SET v = ? WHERE id = 1', [value]);
    const last = nextEvent<CounterEvent>(zongji, 'binlog', (event) => event.getEventName() === 'updaterows' && Number(event.rows?.[0]?.after.v) === UPDATES + 1);
    await writer.query('UPDATE counter SET v = ? WHERE id = 1', [UPDATES + 1]);
    await last;
    await Promise.all(checks);

    process.stdout.write(`commit visibility: ${JSON.stringify({ ...counts, waits: visibility.stats })}\n`);
    expect(errors).toEqual([]);
    expect(counts.guardedChecks).toBeGreaterThan(UPDATES / 10);
    expect(counts.guardedStale).toBe(0);
  }, 120_000);
});
