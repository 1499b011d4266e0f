import type { Observable } from 'rxjs';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import type { EncodedPosition } from '../model/position.js';
import type { TableInfo } from '../model/table.js';

/**
 * The source contract: what a CDC source (MySQL/MariaDB today; Postgres, a watermark or a scan
 * source next) provides. The capture runner (src/pipeline/source-capture.ts) does the rest for
 * every source: Kafka topics and writing, Avro schemas, saving positions only after Kafka
 * acknowledged, backpressure, incremental snapshots and their signals, restarts.
 *
 * `P` is the source's own position type (a GTID set and a row index for MySQL). It must be
 * encodable as a JSON object ({@link CdcSource.encodePosition}); positions are opaque to the
 * runner except through {@link CdcSource.reached}.
 */
export interface CdcSource<P> {
  /** The connector name stamped in change events' `source.connector` and in the position key ('mysql'). */
  readonly connector: string;
  /** Opens what the source needs (connection pools); called once before anything else. */
  open(): Promise<void>;
  /** Releases what {@link open} took; safe to call after a failed open. */
  close(): Promise<void>;
  /**
   * Checks the server can serve this source (privileges, log settings, tables that exist) before
   * anything is written; throws a ConfigurationError that names the fix.
   */
  preflight(): Promise<void>;

  /** The captured tables, keyed `db.table`, with their columns and primary keys. */
  readCatalog(): Promise<ReadonlyMap<string, TableInfo>>;
  /**
   * The current entry of a captured table named `db.table`, read again after a schema change the
   * stream reported; null when it is not captured or does not exist.
   */
  tableInfo(name: string): Promise<TableInfo | null>;

  /** Opens a consistent snapshot of `tables` and the position the change stream continues from. */
  snapshot(tables: readonly TableInfo[], pageSize: number): Promise<SourceSnapshot<P>>;
  /** The current end of the change log, for a start without a snapshot. */
  currentPosition(): Promise<P>;
  /**
   * The committed changes from `from` on, in commit order, in batches. Each item carries the
   * position to save once it and every earlier item are acknowledged by Kafka: a restart from it
   * delivers neither a gap nor, beyond the unacknowledged items, a double. The Observable fails
   * with an error {@link isPositionLost} recognises when `from` is no longer available.
   */
  changes(from: P, options: ChangeStreamOptions): Observable<ChangeBatch<P>>;
  /** The change event of a snapshot read (`op: 'r'`), with this source's `source` fields. */
  readEvent(table: TableInfo, row: Row, snapshot: 'true' | 'last' | 'incremental', tsMs: number): ChangeEvent;

  /**
   * Reads the rows of `table` after `afterKey` (primary-key order, at most `size`) in a consistent
   * snapshot of their own, with that snapshot's position (incremental snapshots, DBLog style).
   */
  readChunk(table: TableInfo, afterKey: readonly unknown[] | undefined, size: number): Promise<SnapshotChunk<P>>;
  /** True when a stream that emitted everything up to `streamed` has reached `target`. */
  reached(streamed: P, target: P): boolean;

  /** The position as a JSON object (see EncodedPosition for the reserved field names). */
  encodePosition(position: P): EncodedPosition;
  /** The position of a stored object written by {@link encodePosition}; extra fields are ignored. */
  decodePosition(saved: EncodedPosition): P;
  /** True when `error` says the position to resume from is gone (a purged binlog): a new snapshot is the way on. */
  isPositionLost(error: unknown): boolean;
  /** True when `error` is a transient condition of this source (a dropped connection): a restart from the saved position will succeed. */
  isTransientError(error: unknown): boolean;
}

/** How the runner wants the change stream. */
export interface ChangeStreamOptions {
  /** A batch holds at most this many items... */
  readonly maxItems: number;
  /** ...and waits at most this long for more. */
  readonly maxDelayMs: number;
  /** Receives the pause/resume controls once the stream runs (backpressure from Kafka). */
  readonly onFlowControl: (control: FlowControl) => void;
}

/** Pauses and resumes reading from the source. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** A batch of the change stream, in commit order. */
export interface ChangeBatch<P> {
  readonly items: readonly SourceItem<P>[];
}

/** A row change with what the Avro layer needs to encode it, and the position after it. */
export interface SourceChange<P> {
  readonly kind: 'change';
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
  readonly event: ChangeEvent;
  readonly position: P;
}

/** A point of the stream with no row change (a commit, a DDL): a position to save and to compare chunks with. */
export interface SourceMark<P> {
  readonly kind: 'mark';
  readonly position: P;
}

export type SourceItem<P> = SourceChange<P> | SourceMark<P>;

/** A consistent snapshot, read lazily page by page. */
export interface SourceSnapshot<P> {
  /** The position the snapshot is consistent with: streaming continues from here. */
  readonly position: P;
  readonly startedAtMs: number;
  /** The database's row estimates by `db.table`, for progress (optional: a source may not know). */
  readonly estimatedRows?: ReadonlyMap<string, number>;
  /** The pages, table by table; a page is read only when asked for. */
  pages(): AsyncIterable<SnapshotPage>;
  /** Ends the snapshot (its transaction, its connection). */
  close(): Promise<void>;
}

/** One page of a snapshot. */
export interface SnapshotPage {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
  /** True for the last page of the last table. */
  readonly last: boolean;
}

/** One chunk of an incremental snapshot: rows read in a consistent snapshot at `position`. */
export interface SnapshotChunk<P> {
  readonly table: TableInfo;
  readonly rows: readonly Row[];
  /** The rows may be emitted once the stream reached this position. */
  readonly position: P;
  /** The primary key of the last row, where the next chunk starts; undefined when the table is done. */
  readonly nextKey: unknown[] | undefined;
}
