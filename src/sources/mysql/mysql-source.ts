import { createPool, type ConnectionOptions, type Pool } from 'mysql2/promise';
import { bufferTime, concatMap, filter, type Observable } from 'rxjs';
import { classifyError } from '../../classify-error.js';
import { SluiceError } from '../../errors.js';
import type { ChangeEvent, Row } from '../../model/change-event.js';
import type { EncodedPosition } from '../../model/position.js';
import { splitTableKey, tableKey, type TableFilter, type TableInfo } from '../../model/table.js';
import { SLUICE_VERSION } from '../../version.js';
import type { ChangeBatch, ChangeStreamOptions, CdcSource, SnapshotChunk, SourceItem, SourceSnapshot } from '../source.js';
import { isBinlogPurged, readBinlog, type BinlogItem, type BinlogPosition, type BinlogRowChange } from './binlog-reader.js';
import { gtidPositionReached } from './gtid-position.js';
import { preflightMysqlSource, type PreflightExpectations } from './preflight.js';
import { readSnapshotChunk } from './snapshot-chunk.js';
import { currentGtidPosition, type SnapshotLocking } from './snapshot-position.js';
import { openSnapshot } from './snapshot-reader.js';
import { estimateTableRows, readTableCatalog, readTableInfo, withCatalogJsonTypes } from './table-catalog.js';

/** Settings of a {@link MysqlSource}. */
export interface MysqlSourceSettings {
  /** The pipeline name, stamped in change events' `source.name`. */
  readonly pipeline: string;
  readonly connection: ConnectionOptions;
  /** The source URL, for the preflight checks and their messages. */
  readonly url?: string;
  /** What the preflight checks expect (databases, tables named explicitly). */
  readonly preflight?: PreflightExpectations;
  readonly serverId: number;
  readonly databases: readonly string[];
  readonly filter: TableFilter;
  readonly snapshot: { readonly locking?: SnapshotLocking };
  /** Heartbeat period of the binlog connection (see BinlogReaderOptions.heartbeatMs). */
  readonly binlogHeartbeatMs?: number;
}

/**
 * MySQL/MariaDB behind the source contract: the catalog from information_schema, consistent
 * snapshots tied to a GTID position, the binlog (zongji, framed into transactions) as the change
 * stream, GTID positions with the row index inside a cut transaction.
 */
export class MysqlSource implements CdcSource<BinlogPosition> {
  readonly connector = 'mysql';
  private pool: Pool | undefined;
  private readonly tables = new Map<string, TableInfo | null>();

  constructor(private readonly settings: MysqlSourceSettings) {}

  open(): Promise<void> {
    this.pool ??= createPool({ ...this.settings.connection, connectionLimit: 2 });
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async preflight(): Promise<void> {
    const { url, preflight } = this.settings;
    if (url === undefined || preflight === undefined) throw new SluiceError('the MySQL source preflight needs the source URL and its expectations (MysqlSourceSettings.url, .preflight)');
    await preflightMysqlSource(url, preflight);
  }

  async readCatalog(): Promise<ReadonlyMap<string, TableInfo>> {
    const catalog = await readTableCatalog(this.openPool(), this.settings.databases, this.settings.filter);
    for (const [key, info] of catalog) this.tables.set(key, info);
    return catalog;
  }

  async tableInfo(name: string): Promise<TableInfo | null> {
    const parts = splitTableKey(name);
    if (parts === undefined || !this.settings.filter(parts.db, parts.table)) return null;
    return this.cachedTableInfo(parts.db, parts.table);
  }

  async snapshot(tables: readonly TableInfo[], pageSize: number): Promise<SourceSnapshot<BinlogPosition>> {
    const estimatedRows = await estimateTableRows(this.openPool(), tables);
    const snapshot = await openSnapshot(this.settings.connection, tables, pageSize, this.settings.snapshot.locking);
    return { position: { gtidPosition: snapshot.gtidPosition }, startedAtMs: snapshot.startedAtMs, estimatedRows, pages: () => snapshot.pages(), close: () => snapshot.close() };
  }

  async currentPosition(): Promise<BinlogPosition> {
    const pool = this.openPool();
    return { gtidPosition: await currentGtidPosition(async (sql) => (await pool.query(sql))[0]) };
  }

  changes(from: BinlogPosition, options: ChangeStreamOptions): Observable<ChangeBatch<BinlogPosition>> {
    return readBinlog({
      connection: this.settings.connection,
      serverId: this.settings.serverId,
      databases: this.settings.databases,
      filter: this.settings.filter,
      start: from,
      ...(this.settings.binlogHeartbeatMs === undefined ? {} : { heartbeatMs: this.settings.binlogHeartbeatMs }),
      onFlowControl: options.onFlowControl,
    }).pipe(
      bufferTime(options.maxDelayMs, null, options.maxItems),
      filter((items) => items.length > 0),
      concatMap(async (items) => ({ items: await this.sourceItems(items) })),
    );
  }

  readEvent(table: TableInfo, row: Row, snapshot: 'true' | 'last' | 'incremental', tsMs: number): ChangeEvent {
    return { op: 'r', before: null, after: row, source: this.sourceFields(table.db, table.table, tsMs, snapshot, null, null, null, 0), tsMs: Date.now(), transaction: null };
  }

  async readChunk(table: TableInfo, afterKey: readonly unknown[] | undefined, size: number): Promise<SnapshotChunk<BinlogPosition>> {
    const chunk = await readSnapshotChunk(this.settings.connection, table, afterKey, size, this.settings.snapshot.locking);
    return { table: chunk.table, rows: chunk.rows, position: { gtidPosition: chunk.gtidPosition }, nextKey: chunk.nextKey };
  }

  reached(streamed: BinlogPosition, target: BinlogPosition): boolean {
    return gtidPositionReached(streamed.gtidPosition, target.gtidPosition);
  }

  encodePosition(position: BinlogPosition): EncodedPosition {
    return { ...position };
  }

  decodePosition(saved: EncodedPosition): BinlogPosition {
    const { gtidPosition, inTransaction, heldFrom } = saved as Partial<BinlogPosition>;
    if (typeof gtidPosition !== 'string') throw new SluiceError('the saved MySQL position has no gtidPosition', { context: { saved } });
    return { gtidPosition, ...(inTransaction === undefined ? {} : { inTransaction }), ...(heldFrom === undefined ? {} : { heldFrom }) };
  }

  isPositionLost(error: unknown): boolean {
    return isBinlogPurged(error);
  }

  isTransientError(error: unknown): boolean {
    return isTransientMysqlError(error);
  }

  /** Row changes with the catalog's JSON tagging and primary keys; a DDL forgets the tables it may have changed. */
  private async sourceItems(items: readonly BinlogItem[]): Promise<Array<SourceItem<BinlogPosition>>> {
    const result: Array<SourceItem<BinlogPosition>> = [];
    for (const item of items) {
      if (item.kind === 'mark') {
        // a DDL without a default schema may name any table (`db`.`t`): forget them all
        if (item.ddlSchema !== undefined) for (const key of [...this.tables.keys()]) if (item.ddlSchema === '' || key.startsWith(`${item.ddlSchema}.`)) this.tables.delete(key);
        result.push({ kind: 'mark', position: item.position });
        continue;
      }
      const info = await this.cachedTableInfo(item.db, item.table);
      result.push({ kind: 'change', columns: withCatalogJsonTypes(item.columns, info), primaryKey: info?.primaryKey ?? [], event: this.streamEvent(item), position: item.position });
    }
    return result;
  }

  private streamEvent(item: BinlogRowChange): ChangeEvent {
    return {
      op: item.op,
      before: item.before,
      after: item.after,
      source: this.sourceFields(item.db, item.table, item.tsMs, 'false', item.gtid, item.file, item.pos, item.row),
      tsMs: Date.now(),
      transaction: { id: item.gtid, totalOrder: item.row + 1 },
    };
  }

  private sourceFields(db: string, table: string, tsMs: number, snapshot: ChangeEvent['source']['snapshot'], gtid: string | null, file: string | null, pos: number | null, row: number): ChangeEvent['source'] {
    return { version: SLUICE_VERSION, connector: this.connector, name: this.settings.pipeline, tsMs, snapshot, db, table, serverId: this.settings.serverId, gtid, file, pos, row };
  }

  /** A table's info from the cache, read from the database when new (or dropped by a DDL). */
  private async cachedTableInfo(db: string, table: string): Promise<TableInfo | null> {
    const key = tableKey(db, table);
    if (!this.tables.has(key)) this.tables.set(key, (await readTableInfo(this.openPool(), db, table)) ?? null);
    return this.tables.get(key) ?? null;
  }

  private openPool(): Pool {
    if (this.pool === undefined) throw new SluiceError('the MySQL source is not open (call open() first)');
    return this.pool;
  }
}

/**
 * True when `error` or one of its causes says the database connection dropped or cannot be made
 * yet (the server restarts, a failover, a network cut: classifyError's transient MySQL and network
 * conditions) or the binlog heartbeat found the connection silent (half-open): a new capture from
 * the saved position will succeed once the server is back.
 */
export function isTransientMysqlError(error: unknown): boolean {
  const verdict = classifyError(error);
  if (verdict.kind === 'transient' && (verdict.service === 'mysql' || verdict.service === 'network')) return true;
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof SluiceError && current.retriable && typeof current.context.heartbeatMs === 'number') return true;
    current = current.cause;
  }
  return false;
}
