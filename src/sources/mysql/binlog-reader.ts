import ZongJi, { type AnyBinlogEvent, type RowsEvent } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { Observable } from 'rxjs';
import { SluiceError } from '../../errors.js';
import type { ChangeOperation, Row } from '../../model/change-event.js';
import { type ColumnDefinition } from '../../model/column.js';
import { FRAMING_EVENT_NAMES, framingEventOf } from './binlog-events.js';
import { ConnectionPauses } from './connection-pauses.js';
import { TableMapColumns } from './table-map-columns.js';
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
    const rows = new RowPayloads(options.filter);
    const liveness: Liveness = { lastEventAt: Date.now(), paused: false };
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      liveness.lastEventAt = Date.now();
      let items: Array<FramedItem<RowPayload>>;
      try {
        items = frame(event, framer, rows);
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
    let pauses: ConnectionPauses | undefined;
    zongji.on('ready', () => {
      if (pauses !== undefined) options.onFlowControl?.(flowControl(pauses, liveness));
    });
    zongji.start({
      serverId: options.serverId,
      gtidSet: TransactionFramer.readFrom(options.start),
      includeEvents: FRAMING_EVENT_NAMES,
      includeSchema: Object.fromEntries(options.databases.map((db) => [db, true] as const)),
    });
    // start() opened the binlog connection, which zongji pauses itself while it fetches a table's
    // columns: every pause goes through one count from now on
    if (zongji.connection !== null) pauses = new ConnectionPauses(zongji.connection);
    const watchdog = watchHeartbeats(zongji, options, liveness, (error) => subscriber.error(error));
    return () => {
      if (watchdog !== undefined) clearInterval(watchdog);
      zongji.stop();
    };
  });
}

/** When the last event arrived, and whether backpressure paused the connection (silence is then expected). */
interface Liveness {
  lastEventAt: number;
  paused: boolean;
}

/** The framed items of one binlog event (none for events that do not frame transactions). */
function frame(event: AnyBinlogEvent, framer: TransactionFramer<RowPayload>, rows: RowPayloads): Array<FramedItem<RowPayload>> {
  const framing = framingEventOf(event);
  if (framing === undefined) return [];
  if (framing.type === 'rotate') rows.file = framing.file;
  return framing.type === 'rows' ? framer.push(framing, rows.of(event as RowsEvent & { rows: unknown[] }, framing.op)) : framer.push(framing);
}

/** Turns rows events into row payloads (undefined for tables not captured), caching each table map's columns. */
class RowPayloads {
  /** The server starts a dump with a (fake) rotate event naming the current file, then one per new file. */
  file: string | null = null;
  private readonly columns = new TableMapColumns();

  constructor(private readonly filter: TableFilter) {}

  of(event: RowsEvent & { rows: unknown[] }, op: Exclude<ChangeOperation, 'r'>): Array<RowPayload | undefined> {
    const tableMap = event.tableMap[event.tableId];
    if (tableMap === undefined || !this.filter(tableMap.parentSchema, tableMap.tableName)) return new Array<undefined>(event.rows.length).fill(undefined);
    const definitions = this.columns.of(tableMap);
    return event.rows.map((rowData) => {
      const images = op === 'u' ? (rowData as { before: Record<string, unknown>; after: Record<string, unknown> }) : undefined;
      return {
        db: tableMap.parentSchema,
        table: tableMap.tableName,
        columns: definitions,
        op,
        before: op === 'c' ? null : normalizeRow(definitions, images?.before ?? (rowData as Record<string, unknown>)),
        after: op === 'd' ? null : normalizeRow(definitions, images?.after ?? (rowData as Record<string, unknown>)),
        file: this.file,
        pos: event.nextPosition,
        tsMs: event.timestamp,
      };
    });
  }
}

/**
 * The pause/resume controls of the binlog connection (backpressure); a resume restarts the silence
 * count, and the connection reads again only once no other holder (zongji) holds it.
 */
function flowControl(pauses: ConnectionPauses, liveness: Liveness): { pause(): void; resume(): void } {
  return {
    pause: () => {
      liveness.paused = true;
      pauses.hold('backpressure');
    },
    resume: () => {
      liveness.paused = false;
      liveness.lastEventAt = Date.now();
      pauses.release('backpressure');
    },
  };
}

/**
 * Asks the server for heartbeats and fails the stream (retriable) after three missed ones while
 * not paused; returns the watchdog timer, or undefined when heartbeats are off.
 */
function watchHeartbeats(zongji: ZongJi, options: BinlogReaderOptions, liveness: Liveness, fail: (error: SluiceError) => void): NodeJS.Timeout | undefined {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_BINLOG_HEARTBEAT_MS;
  if (heartbeatMs <= 0) return undefined;
  // queued on the binlog connection before zongji's own preamble, so it precedes the dump
  const nanoseconds = `${BigInt(Math.round(heartbeatMs)) * 1_000_000n}`;
  zongji.connection?.query(`SET @master_heartbeat_period = ${nanoseconds}, @source_heartbeat_period = ${nanoseconds}`, (error: unknown) => {
    if (error !== null && error !== undefined) fail(binlogError(error, options.start));
  });
  const watchdog = setInterval(() => {
    const silentMs = Date.now() - liveness.lastEventAt;
    if (liveness.paused || silentMs < heartbeatMs * 3) return;
    fail(
      new SluiceError(`no binlog event or heartbeat for ${silentMs} ms (heartbeat every ${heartbeatMs} ms): the connection to the database is presumed dead`, {
        retriable: true,
        context: { silentMs, heartbeatMs },
      }),
    );
  }, Math.max(100, Math.round(heartbeatMs / 2)));
  watchdog.unref();
  return watchdog;
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
