import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { Row } from '../../model/change-event.js';
import { quoteIdentifier } from '../../model/sql.js';
import { startSnapshotAtGtidPosition, type LockSession, type SnapshotLocking } from './snapshot-position.js';
import type { TableInfo } from '../../model/table.js';
import { normalizeRow } from '../../model/value-normalizer.js';

/** One page of a table's snapshot. */
export interface SnapshotPage {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
  /** True for the last page of the last table. */
  readonly last: boolean;
}

/** A consistent snapshot: its binlog position and its pages, read lazily. */
export interface Snapshot {
  /** The GTID position the snapshot is consistent with: streaming resumes here. */
  readonly gtidPosition: string;
  readonly startedAtMs: number;
  /** The pages, table by table in primary-key order; a page is read only when asked for. */
  pages(): AsyncGenerator<SnapshotPage>;
  /** Ends the snapshot transaction and closes its connection. */
  close(): Promise<void>;
}

/**
 * A connection whose values come back in the form the binlog reader delivers them: exact strings
 * for BIGINT, DECIMAL, temporal types and JSON, TIMESTAMP in UTC.
 */
export async function openReadConnection(connectionOptions: ConnectionOptions): Promise<Connection> {
  const connection = await createConnection({ ...connectionOptions, dateStrings: true, jsonStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
  try {
    await connection.query("SET SESSION time_zone = '+00:00'");
    return connection;
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error;
  }
}

/** One page of a table, normalized, with the primary key of its last row. */
export interface TablePage {
  readonly rows: readonly Row[];
  readonly lastKey: unknown[] | undefined;
}

/**
 * Reads the rows of `table` after `afterKey` in primary-key order (keyset pagination), or, for a
 * table without a primary key, the rows at `offset`; at most `size` rows, every row when `size`
 * is undefined.
 */
export async function readTablePage(
  connection: Connection,
  table: TableInfo,
  from: { readonly afterKey?: readonly unknown[] | undefined; readonly offset?: number },
  size: number | undefined,
): Promise<TablePage> {
  const key = table.primaryKey;
  const limit = size === undefined ? '' : ` LIMIT ${size}`;
  let sql = `SELECT * FROM ${quoteIdentifier(table.db)}.${quoteIdentifier(table.table)}`;
  let values: unknown[] = [];
  if (key.length > 0) {
    const order = key.map(quoteIdentifier).join(', ');
    if (from.afterKey !== undefined) {
      sql += ` WHERE (${order}) > (${key.map(() => '?').join(', ')})`;
      values = [...from.afterKey];
    }
    sql += ` ORDER BY ${order}${limit}`;
  } else {
    sql += `${limit}${size === undefined || from.offset === undefined ? '' : ` OFFSET ${from.offset}`}`;
  }
  const [result] = await connection.query({ sql, values });
  const rows = result as Array<Record<string, unknown>>;
  const last = rows[rows.length - 1];
  return {
    rows: rows.map((row) => normalizeRow(table.columns, row)),
    lastKey: key.length > 0 && last !== undefined ? key.map((column) => last[column]) : undefined,
  };
}

/**
 * Opens a consistent snapshot of `tables`. On MariaDB, START TRANSACTION WITH CONSISTENT SNAPSHOT
 * reports the exact binlog coordinates it is consistent with (binlog_snapshot_file/position), with
 * no lock; on MySQL, `locking` says how the snapshot is tied to @@gtid_executed (a brief global
 * read lock by default; see snapshot-position.ts).
 * Pages are read by primary key (keyset pagination) inside that one transaction, so memory stays
 * flat whatever the table size; tables without a primary key are paged by offset.
 */
export async function openSnapshot(connectionOptions: ConnectionOptions, tables: readonly TableInfo[], pageSize: number, locking?: SnapshotLocking): Promise<Snapshot> {
  const connection = await openReadConnection(connectionOptions);
  try {
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const gtidPosition = await consistentSnapshotGtidPosition(connection, { connectionOptions, tables, ...(locking === undefined ? {} : { locking }) });
    const startedAtMs = Date.now();
    return {
      gtidPosition,
      startedAtMs,
      pages: () => readPages(connection, tables, pageSize),
      close: async () => {
        await connection.query('COMMIT').catch(() => undefined);
        await connection.end();
      },
    };
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Starts a consistent-snapshot transaction on `connection` and returns the GTID position it is
 * consistent with (see {@link openSnapshot}). The caller ends the transaction. `tables` and
 * `connectionOptions` serve `locking: tables`, which holds its locks in a second connection.
 */
export async function consistentSnapshotGtidPosition(
  connection: Connection,
  options: { readonly locking?: SnapshotLocking; readonly tables?: readonly TableInfo[]; readonly connectionOptions?: ConnectionOptions } = {},
): Promise<string> {
  const { connectionOptions } = options;
  return startSnapshotAtGtidPosition(async (sql, values) => (await connection.query(sql, values))[0], {
    ...(options.locking === undefined ? {} : { locking: options.locking }),
    tables: options.tables ?? [],
    ...(connectionOptions === undefined
      ? {}
      : {
          openLockSession: async (): Promise<LockSession> => {
            const lock = await openReadConnection(connectionOptions);
            return { query: async (sql, values) => (await lock.query(sql, values))[0], close: () => lock.end() };
          },
        }),
  });
}

async function* readPages(connection: Connection, tables: readonly TableInfo[], pageSize: number): AsyncGenerator<SnapshotPage> {
  for (const [index, table] of tables.entries()) {
    const lastTable = index === tables.length - 1;
    let afterKey: unknown[] | undefined;
    let offset = 0;
    let pending: readonly Row[] | undefined;
    for (;;) {
      const page = await readTablePage(connection, table, { afterKey, offset }, pageSize);
      offset += page.rows.length;
      afterKey = page.lastKey ?? afterKey;
      if (pending !== undefined) yield { table, rows: pending, last: false };
      pending = page.rows;
      if (page.rows.length < pageSize) break;
    }
    yield { table, rows: pending ?? [], last: lastTable };
  }
}
