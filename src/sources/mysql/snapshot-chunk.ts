import type { ConnectionOptions } from 'mysql2/promise';
import type { Row } from '../../model/change-event.js';
import type { SnapshotLocking } from './snapshot-position.js';
import { consistentSnapshotGtidPosition, openReadConnection, readTablePage } from './snapshot-reader.js';
import type { TableInfo } from '../../model/table.js';

/** One chunk of an incremental snapshot: rows read in a consistent snapshot at `gtidPosition`. */
export interface SnapshotChunk {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
  /** The GTID position the rows are consistent with: they may be emitted once the stream reached it. */
  readonly gtidPosition: string;
  /** The primary key of the last row, where the next chunk starts; undefined when the table is done. */
  readonly nextKey: unknown[] | undefined;
}

/**
 * Reads the rows of `table` after `afterKey` (primary-key order, at most `size`) in a consistent
 * snapshot, with the GTID position of that snapshot. Tables without a primary key are read whole.
 */
export async function readSnapshotChunk(connectionOptions: ConnectionOptions, table: TableInfo, afterKey: readonly unknown[] | undefined, size: number, locking?: SnapshotLocking): Promise<SnapshotChunk> {
  const connection = await openReadConnection(connectionOptions);
  try {
    const gtidPosition = await consistentSnapshotGtidPosition(connection, { connectionOptions, tables: [table], ...(locking === undefined ? {} : { locking }) });
    const keyed = table.primaryKey.length > 0;
    const page = await readTablePage(connection, table, { afterKey }, keyed ? size : undefined);
    await connection.query('COMMIT');
    return { table, rows: page.rows, gtidPosition, nextKey: keyed && page.rows.length === size ? page.lastKey : undefined };
  } finally {
    await connection.end();
  }
}
