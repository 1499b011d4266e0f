import { tableKey, type TableInfo } from '../model/table.js';

/** One table of a snapshot in progress. */
export interface TableSnapshotProgress {
  /** `db.table` */
  readonly table: string;
  /** The database's estimate (information_schema for MySQL); undefined when the source gives none. */
  readonly estimatedRows: number | undefined;
  readonly rows: number;
  readonly done: boolean;
}

/** How far a snapshot is: per table and in total (rows read and sent to Kafka). */
export interface SnapshotProgress {
  readonly tables: readonly TableSnapshotProgress[];
  readonly rows: number;
  /** The sum of the tables' estimates, never below the rows read. */
  readonly estimatedRows: number;
  readonly startedAtMs: number;
  readonly completed: boolean;
}

/** Receives a snapshot's progress after every page sent to Kafka, and once at its end. */
export type SnapshotProgressListener = (progress: SnapshotProgress) => void;

/** Counts a snapshot's rows per table against the source's estimates. */
export class SnapshotProgressTracker {
  private readonly tables = new Map<string, { estimatedRows: number | undefined; rows: number; done: boolean }>();
  private readonly startedAtMs = Date.now();
  private completed = false;
  private current: string | undefined;

  constructor(tables: readonly TableInfo[], estimates: ReadonlyMap<string, number> | undefined) {
    for (const table of tables) {
      const key = tableKey(table.db, table.table);
      this.tables.set(key, { estimatedRows: estimates?.get(key), rows: 0, done: false });
    }
  }

  /**
   * Counts a page of `table` sent to Kafka. Pages come table by table, so the first page of a table
   * marks the tables before it done.
   */
  page(table: TableInfo, rows: number): void {
    const key = tableKey(table.db, table.table);
    if (this.current !== undefined && this.current !== key) {
      const previous = this.tables.get(this.current);
      if (previous !== undefined) previous.done = true;
    }
    this.current = key;
    const entry = this.tables.get(key) ?? { estimatedRows: undefined, rows: 0, done: false };
    entry.rows += rows;
    this.tables.set(key, entry);
  }

  /** Marks every table done (the snapshot ended). */
  complete(): void {
    this.completed = true;
    for (const entry of this.tables.values()) entry.done = true;
  }

  /** The progress now. */
  progress(): SnapshotProgress {
    const tables = [...this.tables].map(([table, entry]): TableSnapshotProgress => ({ table, ...entry }));
    const rows = tables.reduce((sum, table) => sum + table.rows, 0);
    // a done table counts what it had; a table read past its estimate counts what it read so far
    const estimatedRows = tables.reduce((sum, table) => sum + (table.done ? table.rows : Math.max(table.rows, table.estimatedRows ?? 0)), 0);
    return { tables, rows, estimatedRows, startedAtMs: this.startedAtMs, completed: this.completed };
  }
}
