import ZongJi, { type AnyBinlogEvent, type RowsEvent, type TableMapEntry } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { Observable } from 'rxjs';
import { SluiceError } from '../../errors.js';
import type { ChangeOperation, Row } from '../../model/change-event.js';
import { parseColumnType } from './column-definition.js';
import { type ColumnDefinition } from '../../model/column.js';
import { FRAMING_EVENT_NAMES, framingEventOf } from './binlog-events.js';
import type { TableFilter } from '../../model/table.js';
import { TransactionFramer, type BinlogPosition, type FramedItem, type FramedMark } from './transaction-framing.js';
import { normalizeRow } from '../../model/value-normalizer.js';

export type { BinlogPosition } from './transaction-framing.js';

/** A committed row change read from the binlog, with the position to save once it is acknowledged. */
export interface BinlogRowChange {
  readonly kind: 'row';
  readonly db: string;
  readonly table: string;
  /** The columns as the binlog describes them for this event (they follow ALTER TABLE). */
  readonly columns: readonly ColumnDefinition[];
  readonly op: Exclude<ChangeOperation, 'r'>;
  readonly before: Row | null;
  readonly after: Row | null;
  /** The GTID of the group that committed the row (for XA: the XA COMMIT's group). */
  readonly gtid: string;
  readonly file: string | null;
  readonly pos: number | null;
  /** 0-based index of this row change among the committed rows of its transaction. */
  readonly row: number;
  readonly tsMs: number;
  readonly position: BinlogPosition;
}

/** A point in the binlog with no row change to deliver (a commit, a DDL, a dropped transaction). */
export type BinlogMark = FramedMark;

export type BinlogItem = BinlogRowChange | BinlogMark;

/** Options of {@link readBinlog}. */
export interface BinlogReaderOptions {
  readonly connection: ConnectionOptions;
  readonly serverId: number;
  readonly databases: readonly string[];
  readonly filter: TableFilter;
  readonly start: BinlogPosition;
  /**
   * The server sends a heartbeat after this long without an event; after three missed heartbeats
   * (and not paused by backpressure) the connection is presumed dead, half-open included, and the
   * stream fails with a retriable error. 0 turns heartbeats off.
   */
  readonly heartbeatMs?: number;
  /** Receives the pause/resume controls once the stream runs (backpressure). */
  readonly onFlowControl?: (control: { pause(): void; resume(): void }) => void;
}

/** What a row carries from its rows event until its transaction commits. */
type RowPayload = Omit<BinlogRowChange, 'kind' | 'gtid' | 'row' | 'position'>;

/**
 * Streams the binlog from `start` as ordered items: every committed row change of the selected
 * tables (framed by {@link TransactionFramer}: savepoints, XA, DDL and non-transactional tables
 * included), and marks where transactions end. A restart from any saved position re-delivers no
 * completed transaction and, inside a cut transaction, only the rows after `rowsDone`.
 */
export function readBinlog(options: BinlogReaderOptions): Observable<BinlogItem> {
  return new Observable<BinlogItem>((subscriber) => {
    const zongji = new ZongJi({ ...options.connection, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
    const framer = new TransactionFramer<RowPayload>(options.start);
    // the server starts a dump with a (fake) rotate event naming the current file, then one per new file
    let file: string | null = null;
    // zongji makes a table-map object per transaction: a weak cache forgets them with it
    const columnsCache = new WeakMap<TableMapEntry, ColumnDefinition[]>();

    const payloads = (event: RowsEvent & { rows: unknown[] }, op: Exclude<ChangeOperation, 'r'>): Array<RowPayload | undefined> => {
      const tableMap = event.tableMap[event.tableId];
      if (tableMap === undefined || !options.filter(tableMap.parentSchema, tableMap.tableName)) return new Array<undefined>(event.rows.length).fill(undefined);
      let columns = columnsCache.get(tableMap);
      if (columns === undefined) {
        columns = tableMap.columnSchemas.map((column) => parseColumnType(column.COLUMN_NAME, column.COLUMN_TYPE));
        columnsCache.set(tableMap, columns);
      }
      const definitions = columns;
      return event.rows.map((rowData) => {
        const images = op === 'u' ? (rowData as { before: Record<string, unknown>; after: Record<string, unknown> }) : undefined;
        return {
          db: tableMap.parentSchema,
          table: tableMap.tableName,
          columns: definitions,
          op,
          before: op === 'c' ? null : normalizeRow(definitions, images?.before ?? (rowData as Record<string, unknown>)),
          after: op === 'd' ? null : normalizeRow(definitions, images?.after ?? (rowData as Record<string, unknown>)),
          file,
          pos: event.nextPosition,
          tsMs: event.timestamp,
        };
      });
    };

    let lastEventAt = Date.now();
    let paused = false;
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      lastEventAt = Date.now();
      const framing = framingEventOf(event);
      if (framing === undefined) return;
      if (framing.type === 'rotate') file = framing.file;
      let items: Array<FramedItem<RowPayload>>;
      try {
        items = framing.type === 'rows' ? framer.push(framing, payloads(event as RowsEvent & { rows: unknown[] }, framing.op)) : framer.push(framing);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      for (const item of items) {
        if (item.kind === 'mark') subscriber.next(item);
        else subscriber.next({ kind: 'row', ...item.row, gtid: item.gtid, row: item.index, position: item.position });
      }
    });
    zongji.on('error', (error: unknown) => subscriber.error(binlogError(error, options.start)));
    zongji.on('ready', () => {
      const connection = zongji.connection;
      options.onFlowControl?.({
        pause: () => {
          paused = true;
          connection?.pause();
        },
        resume: () => {
          paused = false;
          lastEventAt = Date.now();
          connection?.resume();
        },
      });
    });
    zongji.start({
      serverId: options.serverId,
      gtidSet: TransactionFramer.readFrom(options.start),
      includeEvents: FRAMING_EVENT_NAMES,
      includeSchema: Object.fromEntries(options.databases.map((db) => [db, true] as const)),
    });
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_BINLOG_HEARTBEAT_MS;
    let watchdog: NodeJS.Timeout | undefined;
    if (heartbeatMs > 0) {
      // queued on the binlog connection before zongji's own preamble, so it precedes the dump
      const nanoseconds = `${BigInt(Math.round(heartbeatMs)) * 1_000_000n}`;
      zongji.connection?.query(`SET @master_heartbeat_period = ${nanoseconds}, @source_heartbeat_period = ${nanoseconds}`, (error: unknown) => {
        if (error !== null && error !== undefined) subscriber.error(binlogError(error, options.start));
      });
      watchdog = setInterval(() => {
        const silentMs = Date.now() - lastEventAt;
        if (paused || silentMs < heartbeatMs * 3) return;
        subscriber.error(
          new SluiceError(`no binlog event or heartbeat for ${silentMs} ms (heartbeat every ${heartbeatMs} ms): the connection to the database is presumed dead`, {
            retriable: true,
            context: { silentMs, heartbeatMs },
          }),
        );
      }, Math.max(100, Math.round(heartbeatMs / 2)));
      watchdog.unref();
    }
    return () => {
      if (watchdog !== undefined) clearInterval(watchdog);
      zongji.stop();
    };
  });
}

/** The binlog heartbeat period when none is configured (see {@link BinlogReaderOptions.heartbeatMs}). */
export const DEFAULT_BINLOG_HEARTBEAT_MS = 5_000;

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
