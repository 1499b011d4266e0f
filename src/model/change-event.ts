/**
 * The change event every source emits: Debezium's envelope (op, before, after, source, ts_ms,
 * transaction), so tools that understand Debezium events understand sluice's.
 */

/** A column value as sources deliver it: exact strings for BIGINT, DECIMAL and temporal types, Buffers for binary data. */
export type ColumnValue = string | number | Buffer | null;

/** One row image: column name -> value. */
export type Row = Record<string, ColumnValue>;

/** r = read by a snapshot, c = create, u = update, d = delete. */
export type ChangeOperation = 'r' | 'c' | 'u' | 'd';

/** Where an event comes from, and its exact position in the source's log. */
export interface ChangeSource {
  readonly version: string;
  readonly connector: string;
  /** The pipeline name. */
  readonly name: string;
  /** Commit time of the change in the source (ms since epoch). */
  readonly tsMs: number;
  /**
   * 'true' for snapshot reads, 'last' for the last read of a snapshot, 'incremental' for reads of
   * an incremental snapshot taken while streaming, 'false' for streamed changes.
   */
  readonly snapshot: 'true' | 'last' | 'incremental' | 'false';
  readonly db: string;
  readonly table: string;
  readonly serverId: number;
  /** The GTID of the transaction ('0-1-42' on MariaDB, 'uuid:42' on MySQL), null when unknown. */
  readonly gtid: string | null;
  readonly file: string | null;
  readonly pos: number | null;
  /** Index of the row-change inside its transaction (0-based), for exact resume. */
  readonly row: number;
}

/** The transaction a change belongs to. */
export interface ChangeTransaction {
  readonly id: string;
  /** 1-based order of the change inside the transaction. */
  readonly totalOrder: number;
}

/** A captured row change. */
export interface ChangeEvent {
  readonly op: ChangeOperation;
  readonly before: Row | null;
  readonly after: Row | null;
  readonly source: ChangeSource;
  /** When sluice processed the event (ms since epoch). */
  readonly tsMs: number;
  readonly transaction: ChangeTransaction | null;
}

/**
 * What the sink reads of a change event: the operation, the row images (narrowed to the columns
 * its documents read), when sluice captured it and, of the source, when and where the change was
 * made. A ChangeEvent is one; the sink's decoder makes only these parts (see changeEventReader
 * with columns).
 */
export interface SinkChangeEvent {
  readonly op: ChangeOperation;
  readonly before: Row | null;
  readonly after: Row | null;
  /** When sluice processed the event (ms since epoch). */
  readonly tsMs: number;
  readonly source: Pick<ChangeSource, 'tsMs' | 'snapshot' | 'db' | 'table' | 'gtid' | 'file' | 'pos'>;
}
