import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import { abortableSleep } from '../retry.js';
import { startConsistentSnapshot } from '../descriptors/snapshot-version.js';
import { compareCoordinates, parseCoordinate, type BinlogCoordinate, type ParsedCoordinate } from '../descriptors/version-clock.js';
import type { DecodedPage } from './sink-page.js';

/**
 * Waits until the changes of a page are visible to the sink's reads of the database.
 *
 * MariaDB (like MySQL) writes a transaction to the binlog, and streams it to binlog readers,
 * a moment before the storage engine makes it visible to other sessions. A sink that read the
 * change quickly (a caught-up pipeline under load) could expand and build it from a snapshot that
 * does not contain it yet: the document would carry the state before the change, at a version
 * below it, and no later event would correct it (a committed change lost). Measured on the local
 * stack: a consistent snapshot started as soon as an update's row event arrived missed the update
 * 28 times in 5,756.
 *
 * The snapshot's binlog coordinate (`binlog_snapshot_file`/`_position`) tells exactly which
 * transactions it contains, so before a page is expanded the sink asks for a fresh snapshot's
 * coordinate until it reaches the page's highest change position (the end of its last row event;
 * transaction boundaries never fall inside a transaction, so reaching it means the whole
 * transaction is visible). Visibility only grows, so every lookup and build of the page made
 * afterwards sees its changes. A coordinate already confirmed is remembered for
 * {@link VISIBLE_TRUSTED_MS}: a lagging sink asks about once a second, not once a page (the
 * database is asked again after that, so a binlog that went back is noticed).
 *
 * Servers that report no snapshot coordinate (MySQL) are not waited for (logged once). A change
 * more than one binlog file ahead of the database comes from a binlog that went back (RESET MASTER,
 * a restored backup, a failover) and is not waited for; one in the same or the next file is waited
 * for at most `maxWaitMs`, then the page goes on with a warning.
 */
export class CommitVisibility {
  /** The coordinate the last read showed as visible (null before the first read), and when it was read. */
  private visible: ParsedCoordinate | null = null;
  private visibleReadAt = Number.NEGATIVE_INFINITY;
  private unsupported = false;
  private readonly counters = { waits: 0, waitedMs: 0 };

  constructor(
    /** Starts a fresh consistent snapshot and resolves its coordinate (undefined when the server reports none). */
    private readonly readVisible: () => Promise<BinlogCoordinate | undefined>,
    private readonly settings: CommitVisibilitySettings,
  ) {}

  /** A barrier reading the coordinate on a connection of `pool` (one short read-only transaction per read). */
  static ofPool(pool: Pool, settings: CommitVisibilitySettings): CommitVisibility {
    return new CommitVisibility(async () => {
      const connection = await pool.getConnection();
      try {
        const coordinate = await startConsistentSnapshot(async (sql) => (await connection.query(sql))[0]);
        await connection.query('COMMIT');
        connection.release();
        return coordinate;
      } catch (error) {
        // the transaction may still be open: never hand this connection to another reader
        connection.destroy();
        throw error;
      }
    }, settings);
  }

  /** Pages that had to wait, and the time they waited in total. */
  get stats(): { readonly waits: number; readonly waitedMs: number } {
    return { ...this.counters };
  }

  /** Resolves once the changes of `page` are visible to new snapshots (see the class comment). */
  waitForPage(page: DecodedPage): Promise<void> {
    return this.waitFor(highestPosition(page));
  }

  /** Resolves once a new snapshot contains the transaction that wrote up to `target` (at once for undefined). */
  async waitFor(target: BinlogCoordinate | undefined): Promise<void> {
    if (target === undefined || this.unsupported) return;
    const wanted = parseOrUndefined(target);
    const now = this.settings.now ?? Date.now;
    if (wanted === undefined || (now() - this.visibleReadAt < VISIBLE_TRUSTED_MS && atOrAfter(this.visible, wanted))) return;
    const sleep = this.settings.sleep ?? abortableSleep;
    const maxWaitMs = this.settings.maxWaitMs ?? DEFAULT_MAX_VISIBILITY_WAIT_MS;
    const started = now();
    for (let attempt = 0; ; attempt += 1) {
      const coordinate = await this.readVisible();
      if (coordinate === undefined) {
        this.unsupported = true;
        this.settings.logger.warn(
          'the database reports no binlog coordinate for a consistent snapshot (MySQL): the sink cannot wait for a change read from the binlog to become visible before it builds its documents',
        );
        return;
      }
      const seen = parseOrUndefined(coordinate);
      // another binlog base name: positions cannot be compared
      if (seen === undefined || seen.basename !== wanted.basename) return;
      // visibility only grows: the last read is as good as any earlier one, and after a binlog that
      // went back it is the one to compare with
      this.visible = seen;
      this.visibleReadAt = now();
      // a change more than one file ahead of the database is from a binlog that went back (the
      // commits not visible yet are in the file being written, or the one before just after a rotation)
      if (compareCoordinates(seen, wanted) >= 0 || wanted.index > seen.index + 1) {
        if (attempt > 0) this.record(now() - started);
        return;
      }
      if (now() - started >= maxWaitMs) {
        this.record(now() - started);
        this.settings.logger.warn(
          { position: coordinate, change: target, waitedMs: now() - started },
          'the database stays below the binlog position of a change read from it: the binlog went back (RESET MASTER, a restore, a failover)? Going on without waiting',
        );
        return;
      }
      await sleep(Math.min(2 ** attempt, MAX_POLL_DELAY_MS));
    }
  }

  private record(waitedMs: number): void {
    this.counters.waits += 1;
    this.counters.waitedMs += waitedMs;
  }
}

/** Settings of a {@link CommitVisibility}. */
export interface CommitVisibilitySettings {
  readonly logger: Logger;
  /** How long a page waits for the database to reach its position (default {@link DEFAULT_MAX_VISIBILITY_WAIT_MS}). */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How long a page waits for its changes to become visible before taking the binlog for reset: commits become visible within milliseconds. */
export const DEFAULT_MAX_VISIBILITY_WAIT_MS = 10_000;
/** How long a coordinate read from the database is taken as still visible without asking again. */
export const VISIBLE_TRUSTED_MS = 1_000;
/** The longest pause between two reads of the visible coordinate. */
const MAX_POLL_DELAY_MS = 50;

/**
 * The highest binlog position among a page's changes (undefined when none carries one). A page's
 * changes come from a few binlog files at most: each file name is parsed once per run of changes
 * from it, and no object is made per change.
 */
export function highestPosition(page: DecodedPage): BinlogCoordinate | undefined {
  let highestFile: string | undefined;
  let highestBasename = '';
  let highestIndex = 0;
  let highestPos = 0;
  let lastFile: string | undefined;
  let lastParsed: ParsedCoordinate | undefined;
  for (const { event } of page.changes) {
    const { file, pos } = event.source;
    if (file === null || pos === null) continue;
    if (file !== lastFile) {
      lastFile = file;
      lastParsed = parseOrUndefined({ file, position: 0 });
    }
    if (lastParsed === undefined || !Number.isSafeInteger(pos) || pos < 0) continue;
    const higher = lastParsed.index !== highestIndex ? lastParsed.index > highestIndex : pos > highestPos;
    if (highestFile === undefined || (lastParsed.basename === highestBasename && higher)) {
      highestFile = file;
      highestBasename = lastParsed.basename;
      highestIndex = lastParsed.index;
      highestPos = pos;
    }
  }
  return highestFile === undefined ? undefined : { file: highestFile, position: highestPos };
}

function parseOrUndefined(coordinate: BinlogCoordinate): ParsedCoordinate | undefined {
  try {
    return parseCoordinate(coordinate);
  } catch {
    return undefined;
  }
}

function atOrAfter(reached: ParsedCoordinate | null, wanted: ParsedCoordinate): boolean {
  return reached !== null && reached.basename === wanted.basename && compareCoordinates(reached, wanted) >= 0;
}
