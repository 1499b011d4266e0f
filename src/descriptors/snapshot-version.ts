import type { Connection } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import type { BinlogCoordinate, VersionTicket } from './version-clock.js';

/**
 * The version a built document carries in Elasticsearch (external versioning): derived from the
 * binlog coordinate its read snapshot is consistent with. Within one binlog a later snapshot has a
 * greater or equal coordinate and sees every change an earlier one saw, so "the greater version
 * wins" means "the newer database state wins". A {@link SnapshotVersioning} (the VersionClock)
 * turns coordinates into versions that survive a binlog that starts again (RESET MASTER, a
 * restore, a failover); without one, the version is the bare coordinate ({@link versionOf}).
 */
export interface SnapshotVersion {
  readonly version: number;
  readonly file: string;
  readonly position: number;
}

/** Turns snapshot coordinates into document versions (implemented by VersionClock). */
export interface SnapshotVersioning {
  /** Taken right before the snapshot starts. */
  ticket(): Promise<VersionTicket>;
  /** The version of the snapshot at `coordinate`; may throw a retriable error asking for a new snapshot. */
  versionOf(ticket: VersionTicket, coordinate: BinlogCoordinate): Promise<number>;
}

/** Turns binlog coordinates into a document version without epochs: `fileIndex * 2^32 + position` (epoch 0). */
export function versionOf(file: string, position: number): number {
  const match = /\.(\d+)$/.exec(file);
  if (match === null) throw new SluiceError(`binlog file name ${file} has no numeric suffix`, { context: { file } });
  const index = Number(match[1]);
  if (index >= 2 ** 20 || position >= 2 ** 32) throw new SluiceError(`binlog coordinate ${file}:${position} is out of the version range`, { context: { file, position } });
  return index * 2 ** 32 + position;
}

/** Snapshots MySQL (no exact snapshot coordinate) retries before settling for the coordinate read before it. */
export const MYSQL_SNAPSHOT_ATTEMPTS = 5;

/** Runs one SQL statement and resolves its rows. */
export type Query = (sql: string) => Promise<unknown>;

/** Connections known to be to MySQL (no exact snapshot coordinate): their first snapshot is not wasted on finding out again. */
const mysqlConnections = new WeakSet<Connection>();

/** What {@link beginVersionedSnapshotWith} knows about the server. */
export interface SnapshotServerHint {
  /** The server is known to have no exact snapshot coordinate (MySQL). */
  readonly knownMysql?: boolean;
  /** Called when the server turns out to be MySQL. */
  readonly onMysql?: () => void;
}

/**
 * Starts a REPEATABLE READ consistent-snapshot transaction on `connection` and returns the
 * version of its snapshot.
 *
 * MariaDB reports the exact coordinate of the snapshot (`binlog_snapshot_file`/`_position`).
 * MySQL has no such status, and a coordinate read after the snapshot starts may be **newer** than
 * the snapshot (a build that missed a commit would then carry a version that beats the build that
 * saw it). So on MySQL the coordinate is read right before the snapshot starts and again right
 * after: when both are equal no transaction was written to the binlog in between and the
 * coordinate is the snapshot's; otherwise the snapshot is taken again (up to
 * {@link MYSQL_SNAPSHOT_ATTEMPTS} times), and after that the coordinate read before is used, which
 * is never newer than the snapshot (an older version only lets a later build of the same document
 * win, it never lets an older state win). A connection found to be MySQL is remembered, so its
 * later snapshots compare from the first attempt.
 */
export async function beginVersionedSnapshot(connection: Connection, versioning?: SnapshotVersioning): Promise<SnapshotVersion> {
  const query: Query = async (sql) => (await connection.query(sql))[0];
  return beginVersionedSnapshotWith(query, versioning, { knownMysql: mysqlConnections.has(connection), onMysql: () => mysqlConnections.add(connection) });
}

/** {@link beginVersionedSnapshot} over a bare query function (unit tests give recorded answers). */
export async function beginVersionedSnapshotWith(query: Query, versioning?: SnapshotVersioning, hint: SnapshotServerHint = {}): Promise<SnapshotVersion> {
  await query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  let knownMysql = hint.knownMysql === true;
  for (let attempt = 1; ; attempt += 1) {
    const ticket = await versioning?.ticket();
    const coordinate = await startSnapshot(query, attempt, knownMysql);
    if (!knownMysql && coordinate === undefined) {
      knownMysql = true;
      hint.onMysql?.();
    }
    if (coordinate === undefined) continue;
    try {
      const version = versioning === undefined || ticket === undefined ? versionOf(coordinate.file, coordinate.position) : await versioning.versionOf(ticket, coordinate);
      return { version, ...coordinate };
    } catch (error) {
      await query('COMMIT').catch(() => undefined);
      throw error;
    }
  }
}

/**
 * Starts a consistent-snapshot, read-only transaction (the caller ends it) and resolves the binlog
 * coordinate it is consistent with, as MariaDB reports it (`binlog_snapshot_file`/`_position`):
 * the snapshot sees every transaction that ends at or before it and none after. Undefined on
 * servers that report no such coordinate (MySQL).
 */
export async function startConsistentSnapshot(query: Query): Promise<BinlogCoordinate | undefined> {
  await query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  const status = (await query("SHOW STATUS LIKE 'binlog_snapshot_%'")) as Array<{ Variable_name: string; Value: string }>;
  const values = new Map(status.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  const file = values.get('binlog_snapshot_file');
  const position = values.get('binlog_snapshot_position');
  return file !== undefined && file !== '' && position !== undefined ? { file, position: Number(position) } : undefined;
}

/** Starts the snapshot; resolves its coordinate, or undefined when MySQL must try again. */
async function startSnapshot(query: Query, attempt: number, knownMysql: boolean): Promise<BinlogCoordinate | undefined> {
  const before = knownMysql ? await binlogStatus(query) : undefined;
  const exact = await startConsistentSnapshot(query);
  if (exact !== undefined) return exact;
  // MySQL: no exact coordinate (the first attempt only learns that; later ones compare before/after)
  const after = await binlogStatus(query);
  if (before !== undefined && before.file === after.file && before.position === after.position) return before;
  if (before !== undefined && attempt >= MYSQL_SNAPSHOT_ATTEMPTS) return before;
  await query('COMMIT');
  return undefined;
}

/**
 * The binlog coordinate the server is writing at: `SHOW BINARY LOG STATUS` (MySQL 8.2 and later;
 * 8.4 removed `SHOW MASTER STATUS`), else `SHOW MASTER STATUS` (MariaDB, MySQL before 8.2).
 */
export async function binlogStatus(query: Query): Promise<BinlogCoordinate> {
  let rows: unknown;
  try {
    rows = await query('SHOW BINARY LOG STATUS');
  } catch {
    rows = await query('SHOW MASTER STATUS');
  }
  const row = (rows as Array<{ File?: string; Position?: number | string }>)[0];
  if (row?.File === undefined || row.File === '' || row.Position === undefined) {
    throw new SluiceError('the server reports no binlog position: is the binlog enabled (log_bin)?');
  }
  return { file: row.File, position: Number(row.Position) };
}
