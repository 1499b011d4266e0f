import { SluiceError } from '../../errors.js';
import { describeErrorCause } from '../engine/engine-error.js';
import type { PartitionedDocument, PartitionedIndex } from './partitioned-index.js';

/** How often a log runs its retention (deletes partitions older than maxAge), at most. */
const MAINTAIN_EVERY_MS = 3_600_000;

/**
 * A log kept in a partitioned index (the change log, the dead-letter index): appends documents and
 * runs the index's retention at most once an hour, from the appends themselves. A write the engine
 * refused (any item) is a retriable SluiceError naming the log, so the page is processed again.
 */
export class RetainedLog {
  private lastMaintenance = 0;

  constructor(
    readonly index: PartitionedIndex,
    /** What the log is, for errors ("the change log"). */
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs retention when an hour has passed since the last run, then writes `documents` (none: nothing written). */
  async append(documents: readonly PartitionedDocument[]): Promise<void> {
    const now = this.now();
    if (now - this.lastMaintenance >= MAINTAIN_EVERY_MS) {
      await this.index.maintain();
      this.lastMaintenance = now;
    }
    if (documents.length === 0) return;
    const result = await this.index.write(documents);
    const failed = result.items.find((item) => item.error !== undefined);
    if (failed !== undefined) {
      throw new SluiceError(`writing ${this.what} failed: ${describeErrorCause(failed.error)}`, { retriable: true, context: { status: failed.status } });
    }
  }
}
