import { ConfigurationError, SluiceError } from '../../errors.js';
import { isMariaDb } from './binlog-requirements.js';

/**
 * Where a consistent snapshot stands in the binlog, for MariaDB and MySQL, each by the way its
 * reference manual gives.
 *
 * **MariaDB** reports the exact binlog coordinate of a `START TRANSACTION WITH CONSISTENT
 * SNAPSHOT` (`binlog_snapshot_file`/`_position`, no lock), turned into a GTID position by
 * `BINLOG_GTID_POS()`. Its current position is `@@GLOBAL.gtid_binlog_pos`.
 *
 * **MySQL** has neither: its current position is the executed GTID set, `@@GLOBAL.gtid_executed`
 * (a GTID is added to it "very shortly after the transaction is committed", so a set read before
 * a snapshot starts never names a transaction the snapshot misses). How the snapshot is tied to a
 * GTID set is chosen by `snapshot.locking`:
 *
 * - `global` (default): `FLUSH TABLES WITH READ LOCK`, start the snapshot, read
 *   `gtid_executed`, `UNLOCK TABLES`. Exact; needs the RELOAD privilege, which Amazon RDS and
 *   Aurora do not grant (the error then says to choose another mode). Blocks every write on the
 *   server for the moment it is held (it also waits for running statements to finish).
 * - `tables`: a second connection takes `LOCK TABLES ... READ` on the captured tables only, the
 *   snapshot starts, `gtid_executed` is read, the tables are unlocked. Exact for those tables
 *   (no transaction that wrote them can be open or commit meanwhile: LOCK TABLES waits for their
 *   metadata locks); needs LOCK TABLES and SELECT, which RDS and Aurora grant. Blocks writes to
 *   the captured tables only, for the same moment.
 * - `none`: `gtid_executed` is read, then the snapshot starts; no lock at all. Nothing is lost,
 *   but transactions committed between the two are both in the snapshot and streamed again
 *   afterwards (the sink rebuilds documents from the database, so it ends in the same state), and
 *   a schema change in that moment is not protected against.
 */
export type SnapshotLocking = 'global' | 'tables' | 'none';

/** A query that returns its rows (a mysql2 connection's `query(...)[0]`, or a recorded answer in tests). */
export type RowQuery = (sql: string, values?: Array<string | number>) => Promise<unknown>;

/** A second session, for `tables` locking. */
export interface LockSession {
  readonly query: RowQuery;
  close(): Promise<void>;
}

/** What {@link startSnapshotAtGtidPosition} needs besides the snapshot session. */
export interface SnapshotPositionOptions {
  readonly locking?: SnapshotLocking;
  /** The tables of the snapshot, `db`.`table` quoted (for `tables` locking). */
  readonly tables?: ReadonlyArray<{ readonly db: string; readonly table: string }>;
  /** Opens the second session `tables` locking holds its locks in. */
  readonly openLockSession?: () => Promise<LockSession>;
}

type ServerRow = { version: string; version_comment: string };

/** True when the server is MariaDB (from `@@version` and `@@version_comment`). */
export async function serverIsMariaDb(query: RowQuery): Promise<boolean> {
  const rows = (await query('SELECT @@version AS version, @@version_comment AS version_comment')) as ServerRow[];
  return isMariaDb(rows[0] ?? { version: '', version_comment: '' });
}

/**
 * The GTID position the server is at now (for `snapshot.mode: never`): MariaDB
 * `@@GLOBAL.gtid_binlog_pos`, MySQL `@@GLOBAL.gtid_executed` (its line breaks removed).
 */
export async function currentGtidPosition(query: RowQuery): Promise<string> {
  if (await serverIsMariaDb(query)) {
    const rows = (await query('SELECT @@GLOBAL.gtid_binlog_pos AS gtid')) as Array<{ gtid: string | null }>;
    return String(rows[0]?.gtid ?? '');
  }
  return executedGtidSet(query);
}

async function executedGtidSet(query: RowQuery): Promise<string> {
  const rows = (await query('SELECT @@GLOBAL.gtid_executed AS gtid')) as Array<{ gtid: string | null }>;
  return String(rows[0]?.gtid ?? '').replace(/\s+/g, '');
}

const quote = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

/**
 * Starts a consistent-snapshot transaction on the session of `query` and returns the GTID
 * position it is consistent with (see {@link SnapshotLocking}). The caller ends the transaction.
 */
export async function startSnapshotAtGtidPosition(query: RowQuery, options: SnapshotPositionOptions = {}): Promise<string> {
  if (await serverIsMariaDb(query)) {
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const status = (await query("SHOW STATUS LIKE 'binlog_snapshot_%'")) as Array<{ Variable_name: string; Value: string }>;
    const values = Object.fromEntries(status.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
    const file = values.binlog_snapshot_file;
    const position = values.binlog_snapshot_position;
    if (file === undefined || file === '' || position === undefined) {
      throw new SluiceError('the server reports no binlog snapshot position: is the binlog enabled (log_bin)?');
    }
    const gtid = (await query('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [file, Number(position)])) as Array<{ gtid: string | null }>;
    return String(gtid[0]?.gtid ?? '');
  }
  const locking = options.locking ?? 'global';
  if (locking === 'none') {
    const executed = await executedGtidSet(query);
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return executed;
  }
  if (locking === 'tables') return withTableLocks(query, options);
  try {
    await query('FLUSH TABLES WITH READ LOCK');
  } catch (error) {
    if (isAccessDenied(error)) {
      throw new ConfigurationError(
        'FLUSH TABLES WITH READ LOCK was refused: it needs the RELOAD privilege, which Amazon RDS and Aurora do not grant',
        'grant RELOAD to the sluice user, or set source.mysql.snapshot.locking: tables (LOCK TABLES on the captured tables only; needs LOCK TABLES and SELECT) or none (no lock: changes made while the snapshot starts are delivered twice)',
        { cause: error },
      );
    }
    throw error;
  }
  try {
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return await executedGtidSet(query);
  } finally {
    await query('UNLOCK TABLES');
  }
}

async function withTableLocks(query: RowQuery, options: SnapshotPositionOptions): Promise<string> {
  const tables = options.tables ?? [];
  if (options.openLockSession === undefined) throw new TypeError('snapshot.locking tables needs a lock session');
  if (tables.length === 0) {
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return executedGtidSet(query);
  }
  // START TRANSACTION would release LOCK TABLES held by its own session: the locks live in a second one
  const lock = await options.openLockSession();
  try {
    try {
      await lock.query(`LOCK TABLES ${tables.map((table) => `${quote(table.db)}.${quote(table.table)} READ`).join(', ')}`);
    } catch (error) {
      if (isAccessDenied(error)) {
        throw new ConfigurationError('LOCK TABLES was refused for the captured tables', 'grant LOCK TABLES and SELECT on the captured databases to the sluice user, or set source.mysql.snapshot.locking: none', { cause: error });
      }
      throw error;
    }
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const executed = await executedGtidSet(query);
    await lock.query('UNLOCK TABLES');
    return executed;
  } finally {
    await lock.close();
  }
}

/** MySQL's "access denied" errors (ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR). */
function isAccessDenied(error: unknown): boolean {
  const errno = (error as { errno?: number }).errno;
  return errno === 1044 || errno === 1045 || errno === 1142 || errno === 1227;
}
