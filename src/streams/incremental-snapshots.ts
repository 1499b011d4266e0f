import type { Logger } from 'pino';
import type { TableInfo } from '../model/table.js';
import type { CdcSource, SnapshotChunk } from '../sources/source.js';

/** The saved state of incremental snapshots: tables still to do (the first one in progress) and where it stands. */
export interface IncrementalSnapshotState {
  readonly queue: readonly string[];
  readonly afterKey?: readonly unknown[];
}

/**
 * Re-snapshots tables while the change stream keeps streaming, chunk by chunk. Each chunk is read
 * in its own consistent snapshot, whose position says where it belongs in the stream: the chunk is
 * emitted exactly when the stream has emitted every transaction of that position and none after,
 * so a row never goes back to an older state (the idea of Netflix's DBLog, without its watermark
 * table, because the source reports the snapshot's position: MariaDB's binlog coordinates).
 */
export class IncrementalSnapshots<P> {
  private queue: string[] = [];
  private afterKey: unknown[] | undefined;
  private pending: SnapshotChunk<P> | undefined;

  constructor(
    /** Reads the chunks and compares positions. */
    private readonly source: Pick<CdcSource<P>, 'readChunk' | 'reached'>,
    private readonly chunkSize: number,
    private readonly tableInfo: (name: string) => Promise<TableInfo | null>,
    private readonly logger: Logger,
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
      this.pending = await this.source.readChunk(info, this.afterKey, this.chunkSize);
    }
  }

  /**
   * The waiting chunk when the stream has reached its position (the state moves past it), or
   * undefined. `last` tells whether it ends the table.
   */
  takeReached(streamPosition: P): { chunk: SnapshotChunk<P>; last: boolean } | undefined {
    const chunk = this.pending;
    if (chunk === undefined || !this.source.reached(streamPosition, chunk.position)) return undefined;
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
