import type { ConnectionOptions } from 'mysql2/promise';
import type { Logger } from 'pino';
import { gtidPositionReached } from '../sources/mysql/gtid-position.js';
import { readSnapshotChunk, type SnapshotChunk } from '../sources/mysql/snapshot-chunk.js';
import type { SnapshotLocking } from '../sources/mysql/snapshot-position.js';
import type { TableInfo } from '../model/table.js';

/** The saved state of incremental snapshots: tables still to do (the first one in progress) and where it stands. */
export interface IncrementalSnapshotState {
  readonly queue: readonly string[];
  readonly afterKey?: readonly unknown[];
}

/**
 * Re-snapshots tables while the binlog keeps streaming, chunk by chunk. Each chunk is read in its
 * own consistent snapshot, whose GTID position says where it belongs in the stream: the chunk is
 * emitted exactly when the stream has emitted every transaction of that position and none after,
 * so a row never goes back to an older state (the idea of Netflix's DBLog, without its watermark
 * table, because MariaDB reports the snapshot's binlog coordinates).
 */
export class IncrementalSnapshots {
  private queue: string[] = [];
  private afterKey: unknown[] | undefined;
  private pending: SnapshotChunk | undefined;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly chunkSize: number,
    private readonly tableInfo: (name: string) => Promise<TableInfo | null>,
    private readonly logger: Logger,
    /** How MySQL ties each chunk's snapshot to a GTID set (snapshot.locking). */
    private readonly locking?: SnapshotLocking,
  ) {}

  /** The current state (what has been taken for emission). */
  state(): IncrementalSnapshotState {
    return { queue: [...this.queue], ...(this.afterKey === undefined ? {} : { afterKey: [...this.afterKey] }) };
  }

  /** Continues from a saved state. */
  restore(state: IncrementalSnapshotState): void {
    this.queue = [...state.queue];
    this.afterKey = state.afterKey === undefined ? undefined : [...state.afterKey];
    this.pending = undefined;
  }

  /** Queues tables (`db.table`) that are not queued yet; returns those added. */
  request(tables: readonly string[]): string[] {
    const added = [...new Set(tables)].filter((table) => !this.queue.includes(table));
    this.queue.push(...added);
    return added;
  }

  /** True while tables remain. */
  get active(): boolean {
    return this.queue.length > 0;
  }

  /** Reads the next chunk when none is waiting; unknown tables are dropped from the queue. */
  async prepare(): Promise<void> {
    while (this.pending === undefined && this.queue.length > 0) {
      const name = this.queue[0];
      const info = await this.tableInfo(name);
      if (info === null) {
        this.logger.warn({ table: name }, 'incremental snapshot: table not captured or gone; skipped');
        this.queue.shift();
        this.afterKey = undefined;
        continue;
      }
      this.pending = await readSnapshotChunk(this.connection, info, this.afterKey, this.chunkSize, this.locking);
    }
  }

  /**
   * The waiting chunk when the stream has reached its position (the state moves past it), or
   * undefined. `last` tells whether it ends the table.
   */
  takeReached(streamPosition: string): { chunk: SnapshotChunk; last: boolean } | undefined {
    const chunk = this.pending;
    if (chunk === undefined || !gtidPositionReached(streamPosition, chunk.gtidPosition)) return undefined;
    this.pending = undefined;
    this.afterKey = chunk.nextKey;
    const last = chunk.nextKey === undefined;
    if (last) {
      this.logger.info({ table: this.queue[0] }, 'incremental snapshot of a table completed');
      this.queue.shift();
    }
    return { chunk, last };
  }
}
