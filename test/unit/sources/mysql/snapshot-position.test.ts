import { describe, expect, it } from 'vitest';
import { beginVersionedSnapshotWith, MYSQL_SNAPSHOT_ATTEMPTS } from '../../../../src/descriptors/snapshot-version.js';
import { ConfigurationError } from '../../../../src/errors.js';
import { currentGtidPosition, startSnapshotAtGtidPosition, type LockSession, type RowQuery } from '../../../../src/sources/mysql/snapshot-position.js';

/**
 * Recorded answers of MySQL 8.4 (as the reference manual documents them) and MariaDB 10.11 to the
 * statements sluice sends. MySQL 8.4 removed SHOW MASTER STATUS (a parse error, errno 1064) in
 * favour of SHOW BINARY LOG STATUS, has no binlog_snapshot_* status variables (SHOW STATUS LIKE
 * answers an empty set) and prints gtid_executed with a line break after each comma.
 */
const MYSQL_84_VERSION = [{ version: '8.4.3', version_comment: 'MySQL Community Server - GPL' }];
const MARIADB_VERSION = [{ version: '10.11.19-MariaDB-0+deb12u1-log', version_comment: 'Debian 12' }];
const GTID_EXECUTED = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77,\n4f2bb1c1-71ca-11e1-9e33-c80aa9429562:1-5';
const GTID_SET = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77,4f2bb1c1-71ca-11e1-9e33-c80aa9429562:1-5';

class MysqlError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string,
  ) {
    super(message);
  }
}

const parseError = (statement: string): MysqlError =>
  new MysqlError(`You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '${statement}' at line 1`, 1064, 'ER_PARSE_ERROR');

/** A fake server session: answers by statement, and logs every statement (with the session name) in `log`. */
function session(name: string, log: string[], answers: (sql: string) => unknown): RowQuery {
  return (sql) => {
    log.push(`${name}: ${sql}`);
    try {
      return Promise.resolve(answers(sql));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
}

function mysql84(sql: string, overrides: Record<string, () => unknown> = {}): unknown {
  const override = overrides[sql];
  if (override !== undefined) return override();
  if (sql.startsWith('SELECT @@version')) return MYSQL_84_VERSION;
  if (sql === 'SELECT @@GLOBAL.gtid_executed AS gtid') return [{ gtid: GTID_EXECUTED }];
  if (sql === 'SELECT @@GLOBAL.gtid_binlog_pos AS gtid' || sql === 'SELECT @@gtid_binlog_pos AS gtid') throw new MysqlError("Unknown system variable 'gtid_binlog_pos'", 1193, 'ER_UNKNOWN_SYSTEM_VARIABLE');
  if (sql === "SHOW STATUS LIKE 'binlog_snapshot_%'") return [];
  if (sql === 'SHOW MASTER STATUS') throw parseError('MASTER STATUS');
  if (sql === 'SHOW BINARY LOG STATUS') return [{ File: 'binlog.000003', Position: 1234, Binlog_Do_DB: '', Binlog_Ignore_DB: '', Executed_Gtid_Set: GTID_EXECUTED }];
  return [];
}

describe('the current GTID position (snapshot.mode: never)', () => {
  it('on MySQL 8.4 is @@GLOBAL.gtid_executed, without its line breaks; gtid_binlog_pos is never asked', async () => {
    const log: string[] = [];
    expect(await currentGtidPosition(session('s', log, (sql) => mysql84(sql)))).toBe(GTID_SET);
    expect(log).toEqual(['s: SELECT @@version AS version, @@version_comment AS version_comment', 's: SELECT @@GLOBAL.gtid_executed AS gtid']);
  });

  it('on MariaDB is @@GLOBAL.gtid_binlog_pos', async () => {
    const log: string[] = [];
    const query = session('s', log, (sql) => (sql.startsWith('SELECT @@version') ? MARIADB_VERSION : sql === 'SELECT @@GLOBAL.gtid_binlog_pos AS gtid' ? [{ gtid: '0-1-42,1-5-7' }] : []));
    expect(await currentGtidPosition(query)).toBe('0-1-42,1-5-7');
    expect(log).toContain('s: SELECT @@GLOBAL.gtid_binlog_pos AS gtid');
  });
});

describe('the GTID position of a consistent snapshot on MySQL 8.4', () => {
  it('global (default): the snapshot starts and gtid_executed is read under FLUSH TABLES WITH READ LOCK', async () => {
    const log: string[] = [];
    expect(await startSnapshotAtGtidPosition(session('s', log, (sql) => mysql84(sql)))).toBe(GTID_SET);
    expect(log.slice(1)).toEqual(['s: FLUSH TABLES WITH READ LOCK', 's: START TRANSACTION WITH CONSISTENT SNAPSHOT', 's: SELECT @@GLOBAL.gtid_executed AS gtid', 's: UNLOCK TABLES']);
  });

  it('global without RELOAD (Amazon RDS, Aurora): a configuration error that names the other modes', async () => {
    const denied = (): never => {
      throw new MysqlError('Access denied; you need (at least one of) the RELOAD privilege(s) for this operation', 1227, 'ER_SPECIFIC_ACCESS_DENIED_ERROR');
    };
    const error: unknown = await startSnapshotAtGtidPosition(session('s', [], (sql) => mysql84(sql, { 'FLUSH TABLES WITH READ LOCK': denied }))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('needs the RELOAD privilege');
    expect((error as ConfigurationError).fix).toContain('snapshot.locking: tables');
    expect((error as ConfigurationError).fix).toContain('none');
  });

  it('tables: a second session holds LOCK TABLES ... READ on the captured tables while the snapshot starts and gtid_executed is read', async () => {
    const log: string[] = [];
    let closed = false;
    const openLockSession = (): Promise<LockSession> =>
      Promise.resolve({
        query: session('lock', log, (sql) => mysql84(sql)),
        close: () => {
          closed = true;
          return Promise.resolve();
        },
      });
    const tables = [
      { db: 'shop', table: 'product' },
      { db: 'shop', table: 'odd`name' },
    ];
    expect(await startSnapshotAtGtidPosition(session('snapshot', log, (sql) => mysql84(sql)), { locking: 'tables', tables, openLockSession })).toBe(GTID_SET);
    expect(log.slice(1)).toEqual([
      'lock: LOCK TABLES `shop`.`product` READ, `shop`.`odd``name` READ',
      'snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT',
      'snapshot: SELECT @@GLOBAL.gtid_executed AS gtid',
      'lock: UNLOCK TABLES',
    ]);
    expect(log.some((line) => line.includes('FLUSH TABLES'))).toBe(false);
    expect(closed).toBe(true);
  });

  it('none: gtid_executed is read before the snapshot starts (never a transaction the snapshot misses), no lock', async () => {
    const log: string[] = [];
    expect(await startSnapshotAtGtidPosition(session('s', log, (sql) => mysql84(sql)), { locking: 'none' })).toBe(GTID_SET);
    expect(log.slice(1)).toEqual(['s: SELECT @@GLOBAL.gtid_executed AS gtid', 's: START TRANSACTION WITH CONSISTENT SNAPSHOT']);
  });

  it('MariaDB needs no lock in any mode: the exact snapshot coordinate becomes a GTID position', async () => {
    const log: string[] = [];
    const query = session('s', log, (sql) => {
      if (sql.startsWith('SELECT @@version')) return MARIADB_VERSION;
      if (sql === "SHOW STATUS LIKE 'binlog_snapshot_%'") return [{ Variable_name: 'Binlog_snapshot_file', Value: 'binlog.000002' }, { Variable_name: 'Binlog_snapshot_position', Value: '19836' }];
      if (sql.startsWith('SELECT BINLOG_GTID_POS')) return [{ gtid: '0-1-99' }];
      return [];
    });
    expect(await startSnapshotAtGtidPosition(query, { locking: 'global' })).toBe('0-1-99');
    expect(log.some((line) => line.includes('LOCK'))).toBe(false);
  });
});

/**
 * A model of a MySQL 8.4 server for document snapshots: the binlog position grows with commits,
 * which may happen between any two statements; a snapshot sees exactly the commits made before
 * its START TRANSACTION.
 */
function mysqlWithCommits(commitBetweenStatements: () => boolean): { query: RowQuery; snapshotSeesUpTo: () => number } {
  let position = 1000;
  let visibleAtStart = 0;
  const query: RowQuery = (sql) => {
    if (commitBetweenStatements()) position += 250;
    if (sql.startsWith('START TRANSACTION')) visibleAtStart = position;
    if (sql === 'SHOW BINARY LOG STATUS') return Promise.resolve([{ File: 'binlog.000004', Position: position }]);
    return Promise.resolve(mysql84(sql));
  };
  return { query, snapshotSeesUpTo: () => visibleAtStart };
}

describe('document snapshot versions on MySQL 8.4 (no exact snapshot coordinate)', () => {
  it('use SHOW BINARY LOG STATUS (8.4 removed SHOW MASTER STATUS), read before and after the snapshot starts', async () => {
    const log: string[] = [];
    const version = await beginVersionedSnapshotWith(session('s', log, (sql) => mysql84(sql)));
    expect(version).toEqual({ version: 3 * 2 ** 32 + 1234, file: 'binlog.000003', position: 1234 });
    expect(log).not.toContain('s: SHOW MASTER STATUS');
    const second = log.lastIndexOf('s: START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    expect(log[second - 1]).toBe('s: SHOW BINARY LOG STATUS');
    expect(log[second + 2]).toBe('s: SHOW BINARY LOG STATUS');
  });

  it('on a connection known to be MySQL, compare before and after from the first snapshot on (none is wasted on finding out)', async () => {
    const log: string[] = [];
    let learned = 0;
    const first = await beginVersionedSnapshotWith(session('s', log, (sql) => mysql84(sql)), undefined, { onMysql: () => (learned += 1) });
    expect(learned).toBe(1);
    expect(log.filter((line) => line.startsWith('s: START TRANSACTION'))).toHaveLength(2);
    log.length = 0;
    const again = await beginVersionedSnapshotWith(session('s', log, (sql) => mysql84(sql)), undefined, { knownMysql: true });
    expect(again).toEqual(first);
    expect(log).toEqual([
      's: SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      's: SHOW BINARY LOG STATUS',
      's: START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
      "s: SHOW STATUS LIKE 'binlog_snapshot_%'",
      's: SHOW BINARY LOG STATUS',
    ]);
  });

  it('are never newer than the snapshot, whenever commits happen (so a build that missed a commit never beats the build that saw it)', async () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const rate of [0, 0.2, 0.5, 0.9, 1]) {
      for (let build = 0; build < 200; build += 1) {
        const server = mysqlWithCommits(() => random() < rate);
        const { position } = await beginVersionedSnapshotWith(server.query, undefined, { knownMysql: build % 2 === 0 });
        expect(position).toBeLessThanOrEqual(server.snapshotSeesUpTo());
      }
    }
  });

  it('take the snapshot again while commits move the position, and settle for the position read before after a few tries', async () => {
    let statements = 0;
    const server = mysqlWithCommits(() => true);
    const counting: RowQuery = (sql, values) => {
      if (sql.startsWith('START TRANSACTION')) statements += 1;
      return server.query(sql, values);
    };
    const { position } = await beginVersionedSnapshotWith(counting);
    expect(statements).toBe(MYSQL_SNAPSHOT_ATTEMPTS);
    expect(position).toBeLessThan(server.snapshotSeesUpTo());
  });

  it('before the fix, the position read after the snapshot started could be newer than the snapshot', async () => {
    // what the old code did: START TRANSACTION, then SHOW MASTER STATUS: a commit in between makes it newer
    const server = mysqlWithCommits(() => true);
    await server.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const rows = (await server.query('SHOW BINARY LOG STATUS')) as Array<{ Position: number }>;
    expect(rows[0]?.Position).toBeGreaterThan(server.snapshotSeesUpTo());
  });
});
