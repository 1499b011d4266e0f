import { createConnection, type ConnectionOptions } from 'mysql2/promise';
import type { Row } from '../change-event.js';
import { consistentSnapshotGtidPosition } from './snapshot-reader.js';
import type { TableInfo } from './table-catalog.js';
import { normalizeRow } from './value-normalizer.js';

/** One chunk of an incremental snapshot: rows read in a consistent snapshot at `gtidPosition`. */
export interface SnapshotChunk {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
  /** The GTID position the rows are consistent with: they may be emitted once the stream reached it. */
  readonly gtidPosition: string;
  /** The primary key of the last row, where the next chunk starts; undefined when the table is done. */
  readonly nextKey: unknown[] | undefined;
}

const quote = (identifier: string): string => `\`${identifier.replaceAll('`', '``')}\``;

/**
 * Reads the rows of `table` after `afterKey` (primary-key order, at most `size`) in a consistent
 * snapshot, with the GTID position of that snapshot. Tables without a primary key are read whole.
 */
export async function readSnapshotChunk(connectionOptions: ConnectionOptions, table: TableInfo, afterKey: readonly unknown[] | undefined, size: number): Promise<SnapshotChunk> {
  const connection = await createConnection({ ...connectionOptions, dateStrings: true, jsonStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
  try {
    await connection.query("SET SESSION time_zone = '+00:00'");
    const gtidPosition = await consistentSnapshotGtidPosition(connection);
    const key = table.primaryKey;
    const from = `${quote(table.db)}.${quote(table.table)}`;
    let sql = `SELECT * FROM ${from}`;
    let values: unknown[] = [];
    if (key.length > 0) {
      const order = key.map(quote).join(', ');
      sql += afterKey === undefined ? '' : ` WHERE (${order}) > (${key.map(() => '?').join(', ')})`;
      sql += ` ORDER BY ${order} LIMIT ${size}`;
      values = afterKey === undefined ? [] : [...afterKey];
    }
    const [result] = await connection.query({ sql, values });
    await connection.query('COMMIT');
    const rows = result as Array<Record<string, unknown>>;
    const last = rows[rows.length - 1];
    const nextKey = key.length > 0 && rows.length === size && last !== undefined ? key.map((column) => last[column]) : undefined;
    return { table, rows: rows.map((row) => normalizeRow(table.columns, row)), gtidPosition, nextKey };
  } finally {
    await connection.end();
  }
}
