import type { Connection } from 'mysql2/promise';
import { SluiceError } from '../errors.js';

/**
 * The version a built document carries in Elasticsearch (external versioning): the binlog
 * coordinate its read snapshot is consistent with, as one number, `fileIndex * 2^32 + position`.
 * A later snapshot has a greater or equal coordinate and sees every change an earlier one saw,
 * so "the greater version wins" means "the newer database state wins".
 */
export interface SnapshotVersion {
  readonly version: number;
  readonly file: string;
  readonly position: number;
}

/** Turns binlog coordinates into a document version. */
export function versionOf(file: string, position: number): number {
  const match = /\.(\d+)$/.exec(file);
  if (match === null) throw new SluiceError(`binlog file name ${file} has no numeric suffix`, { context: { file } });
  const index = Number(match[1]);
  if (index >= 2 ** 20 || position >= 2 ** 32) throw new SluiceError(`binlog coordinate ${file}:${position} is out of the version range`, { context: { file, position } });
  return index * 2 ** 32 + position;
}

/**
 * Starts a REPEATABLE READ consistent-snapshot transaction on `connection` and returns the
 * version of its snapshot. MariaDB reports the exact coordinates of the snapshot
 * (binlog_snapshot_file/position); MySQL has no such status, so the binlog position read right
 * after the snapshot starts is used (it may be a little newer than the snapshot).
 */
export async function beginVersionedSnapshot(connection: Connection): Promise<SnapshotVersion> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  const [status] = await connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const values = new Map((status as Array<{ Variable_name: string; Value: string }>).map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  let file = values.get('binlog_snapshot_file');
  let position = values.get('binlog_snapshot_position');
  if (file === undefined || file === '') {
    const [rows] = await connection.query('SHOW MASTER STATUS').catch(() => connection.query('SHOW BINARY LOG STATUS'));
    const row = (rows as Array<{ File?: string; Position?: number | string }>)[0];
    file = row?.File;
    position = row?.Position === undefined ? undefined : String(row.Position);
  }
  if (file === undefined || file === '' || position === undefined) {
    throw new SluiceError('the server reports no binlog position: is the binlog enabled (log_bin)?');
  }
  return { version: versionOf(file, Number(position)), file, position: Number(position) };
}
