import ZongJi from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { Observable } from 'rxjs';
import { SluiceError } from '../../errors.js';
import type { ChangeOperation, Row } from '../change-event.js';
import { parseColumnType, type ColumnDefinition } from './column-definition.js';
import { advanceGtidPosition } from './gtid-position.js';
import type { TableFilter } from './table-catalog.js';
import { normalizeRow } from './value-normalizer.js';

/**
 * Where a binlog reader resumes: the GTID position of every completed transaction, plus, when a
 * transaction was cut in the middle, how many of its row changes are already done.
 */
export interface BinlogPosition {
  readonly gtidPosition: string;
  readonly inTransaction?: { readonly gtid: string; readonly rowsDone: number };
}

/** A row change read from the binlog, with the position to save once it is acknowledged. */
export interface BinlogRowChange {
  readonly kind: 'row';
  readonly db: string;
  readonly table: string;
  /** The columns as the binlog describes them for this event (they follow ALTER TABLE). */
  readonly columns: readonly ColumnDefinition[];
  readonly op: Exclude<ChangeOperation, 'r'>;
  readonly before: Row | null;
  readonly after: Row | null;
  readonly gtid: string;
  readonly file: string | null;
  readonly pos: number | null;
  /** 0-based index of this row change inside its transaction. */
  readonly row: number;
  readonly tsMs: number;
  readonly position: BinlogPosition;
}

/** A point in the binlog with no row change to deliver (a commit, a DDL, a skipped transaction). */
export interface BinlogMark {
  readonly kind: 'mark';
  readonly position: BinlogPosition;
  /** Set for DDL statements: the statement's schema, so table caches can be refreshed. */
  readonly ddlSchema?: string;
}

export type BinlogItem = BinlogRowChange | BinlogMark;

/** Options of {@link readBinlog}. */
export interface BinlogReaderOptions {
  readonly connection: ConnectionOptions;
  readonly serverId: number;
  readonly databases: readonly string[];
  readonly filter: TableFilter;
  readonly start: BinlogPosition;
  /** Receives the pause/resume controls once the stream runs (backpressure). */
  readonly onFlowControl?: (control: { pause(): void; resume(): void }) => void;
}

interface ZongJiTableMap {
  parentSchema: string;
  tableName: string;
  columns?: Array<{ name: string }>;
  columnSchemas: Array<{ COLUMN_NAME: string; COLUMN_TYPE: string; ENUM_VALUES?: string[]; SET_VALUES?: string[] }>;
}

interface ZongJiEvent {
  getEventName(): string;
  timestamp: number;
  nextPosition: number;
  gtid?: string;
  tableId?: number;
  tableMap?: Record<number, ZongJiTableMap>;
  rows?: Array<Record<string, unknown>>;
  query?: string;
  schema?: string;
  flags?: { isDdl?: boolean };
  binlogName?: string;
}

const ROW_EVENTS: Record<string, Exclude<ChangeOperation, 'r'>> = { writerows: 'c', updaterows: 'u', deleterows: 'd' };

/**
 * Streams the binlog from `start` as ordered items: every row change of the selected tables, and
 * marks where transactions commit. A restart from any saved position re-delivers no completed
 * transaction and, inside a cut transaction, only the rows after `rowsDone`.
 */
export function readBinlog(options: BinlogReaderOptions): Observable<BinlogItem> {
  return new Observable<BinlogItem>((subscriber) => {
    const zongji = new ZongJi({ ...options.connection, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
    let completed = options.start.gtidPosition;
    // the server starts a dump with a (fake) rotate event naming the current file, then one per new file
    let file: string | null = null;
    let current: { gtid: string; rows: number; skip: number } | undefined;
    // zongji makes a table-map object per transaction: a weak cache forgets them with it
    const columnsCache = new WeakMap<ZongJiTableMap, ColumnDefinition[]>();

    const completeCurrent = (ddlSchema?: string): void => {
      if (current === undefined) return;
      completed = advanceGtidPosition(completed, current.gtid);
      current = undefined;
      subscriber.next({ kind: 'mark', position: { gtidPosition: completed }, ...(ddlSchema === undefined ? {} : { ddlSchema }) });
    };

    zongji.on('binlog', (raw: unknown) => {
      const event = raw as ZongJiEvent;
      const name = event.getEventName();
      if (name === 'mariadbgtid' || name === 'gtid') {
        completeCurrent();
        const gtid = event.gtid ?? '';
        const resumeHere = options.start.inTransaction?.gtid === gtid;
        current = { gtid, rows: 0, skip: resumeHere ? (options.start.inTransaction?.rowsDone ?? 0) : 0 };
        if (event.flags?.isDdl === true) current.skip = Number.POSITIVE_INFINITY;
        return;
      }
      if (name === 'rotate') {
        file = event.binlogName ?? file;
        return;
      }
      if (name === 'xid') {
        completeCurrent();
        return;
      }
      if (name === 'query') {
        const statement = (event.query ?? '').trim().toUpperCase();
        if (statement === 'BEGIN') return;
        completeCurrent(statement === 'COMMIT' ? undefined : (event.schema ?? ''));
        return;
      }
      const op = ROW_EVENTS[name];
      if (op === undefined || current === undefined) return;
      const tableMap = event.tableMap?.[event.tableId ?? -1];
      if (tableMap === undefined || !options.filter(tableMap.parentSchema, tableMap.tableName)) {
        current.rows += event.rows?.length ?? 0;
        return;
      }
      let columns = columnsCache.get(tableMap);
      if (columns === undefined) {
        columns = tableMap.columnSchemas.map((column) => parseColumnType(column.COLUMN_NAME, column.COLUMN_TYPE));
        columnsCache.set(tableMap, columns);
      }
      for (const rowData of event.rows ?? []) {
        const row = current.rows;
        current.rows += 1;
        if (row < current.skip) continue;
        const images = op === 'u' ? (rowData as { before: Record<string, unknown>; after: Record<string, unknown> }) : undefined;
        subscriber.next({
          kind: 'row',
          db: tableMap.parentSchema,
          table: tableMap.tableName,
          columns,
          op,
          before: op === 'c' ? null : normalizeRow(columns, images?.before ?? rowData),
          after: op === 'd' ? null : normalizeRow(columns, images?.after ?? rowData),
          gtid: current.gtid,
          file,
          pos: event.nextPosition,
          row,
          tsMs: event.timestamp,
          position: { gtidPosition: completed, inTransaction: { gtid: current.gtid, rowsDone: row + 1 } },
        });
      }
    });
    zongji.on('error', (error: unknown) => subscriber.error(binlogError(error, options.start)));
    zongji.on('ready', () => {
      const connection = (zongji as unknown as { connection: { pause(): void; resume(): void } | null }).connection;
      options.onFlowControl?.({ pause: () => connection?.pause(), resume: () => connection?.resume() });
    });
    zongji.start({
      serverId: options.serverId,
      gtidSet: options.start.gtidPosition,
      includeEvents: ['mariadbgtid', 'gtid', 'xid', 'query', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'rotate'],
      includeSchema: Object.fromEntries(options.databases.map((db) => [db, true] as const)),
    });
    return () => {
      zongji.stop();
    };
  });
}

/**
 * Translates zongji's errors; a purged binlog gets the message that tells the user to re-snapshot
 * (and `context.binlogPurged`, see {@link isBinlogPurged}).
 */
export function binlogError(error: unknown, start: BinlogPosition): SluiceError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { errno?: number; code?: string }).errno;
  if (code === 1236 || /purged|could not find gtid state|not find first log/i.test(message)) {
    return new SluiceError(
      `the binlog needed to resume from GTID position "${start.gtidPosition}" is no longer available (purged): ${message}. ` +
        'Re-snapshot: run `sluice source --resnapshot`, or set source.mysql.binlogPurged: snapshot',
      { cause: error, context: { gtidPosition: start.gtidPosition, binlogPurged: true } },
    );
  }
  return new SluiceError(`binlog stream failed: ${message}`, { retriable: true, cause: error });
}

/** True for the error {@link binlogError} raises when the binlog to resume from was purged. */
export function isBinlogPurged(error: unknown): boolean {
  return error instanceof SluiceError && error.context.binlogPurged === true;
}
