import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';

/**
 * Document versions that never go back, whatever happens to the binlog.
 *
 * A document's version (Elasticsearch external versioning) comes from the binlog coordinate its
 * build snapshot is consistent with. Coordinates only grow while the server keeps its binlog, but
 * `RESET MASTER`, a restored backup, a failover to another server or a renamed binlog
 * (`log_basename`) start them again from a low value: with the bare coordinate as the version,
 * every later write would be refused as older than what the index holds, and the index would
 * silently freeze.
 *
 * So versions are counted in **epochs**. An epoch maps coordinates to versions as
 * `base + (fileIndex - originFile) * 2^32 + position`. Epoch 0 has base 0 and origin 0, which is
 * exactly the scheme sluice used before epochs (`fileIndex * 2^32 + position`), so existing
 * indexes keep their versions. When a build's snapshot coordinate is lower than one already seen
 * in the epoch (or has another binlog base name, or would not fit in a safe integer), the clock
 * starts the next epoch, whose base is above every version the previous epoch could have issued
 * (`reserved`), and the build is taken again in a new snapshot.
 *
 * The epoch lives in a shared store with compare-and-set (see {@link VersionEpochStore}), so every
 * sink process of the pipeline agrees on it: two processes that see the same regression start one
 * epoch, not two, and a process that did not notice adopts the new epoch at its next sync. A
 * process only issues versions up to `reserved`; it raises `reserved` in the store (one file
 * ahead) before going beyond, so the next epoch's base is above every version ever written.
 */

/** A binlog coordinate as the server reports it. */
export interface BinlogCoordinate {
  readonly file: string;
  readonly position: number;
}

/** A coordinate split into the binlog base name and the file index. */
export interface ParsedCoordinate {
  readonly basename: string;
  readonly index: number;
  readonly position: number;
}

/** One epoch of versions, as kept in the store. */
export interface VersionEpoch {
  readonly epoch: number;
  /** The version of coordinate (originFile, 0). */
  readonly base: number;
  readonly originFile: number;
  /** No version above this is issued in this epoch; the next epoch starts above it. */
  readonly reserved: number;
  /** A coordinate seen in this epoch: a snapshot taken after it was stored and lower than it means the binlog went back. */
  readonly observed: ParsedCoordinate | null;
  readonly startedAtMs: number;
  /** Why the epoch began (for people reading the store). */
  readonly reason: string;
}

/** An epoch with the store's revision of it (for compare-and-set). */
export interface StoredEpoch {
  readonly value: VersionEpoch;
  readonly revision: string;
}

/** Where the epoch of a pipeline is kept, shared by every sink process. */
export interface VersionEpochStore {
  /** The stored epoch, or undefined when none was stored yet. */
  read(): Promise<StoredEpoch | undefined>;
  /**
   * Stores `next` only if the stored revision is still `expected`'s (or, for `expected`
   * undefined, only if nothing is stored). Resolves with the new stored epoch, or undefined when
   * another process wrote first.
   */
  compareAndSet(expected: StoredEpoch | undefined, next: VersionEpoch): Promise<StoredEpoch | undefined>;
}

/** Taken before a snapshot starts: the epoch and the lowest coordinate that snapshot may have. */
export interface VersionTicket {
  readonly epoch: StoredEpoch;
  readonly floor: ParsedCoordinate | null;
}

/** Settings of a {@link VersionClock}. */
export interface VersionClockSettings {
  readonly logger: Logger;
  /** How often the clock re-reads the store and publishes the highest coordinate it saw. */
  readonly syncIntervalMs?: number;
  readonly now?: () => number;
}

/** Positions per file in the version space; a position beyond it is clamped (files are < 4 GiB). */
export const FILE_STRIDE = 2 ** 32;
/** The greatest version: JavaScript numbers are exact up to 2^53 - 1 (Elasticsearch accepts up to 2^63 - 1). */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * Thrown when the epoch changed between a build's snapshot and its version: the build must be
 * taken again in a new snapshot (retriable).
 */
export class VersionEpochChangedError extends SluiceError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { retriable: true, context });
  }
}

/** Splits a binlog file name (`mysql-bin.000042`) and position. */
export function parseCoordinate(coordinate: BinlogCoordinate): ParsedCoordinate {
  const match = /^(.*)\.(\d+)$/.exec(coordinate.file);
  if (match === null) throw new SluiceError(`binlog file name ${coordinate.file} has no numeric suffix`, { context: { ...coordinate } });
  if (!Number.isSafeInteger(coordinate.position) || coordinate.position < 0) {
    throw new SluiceError(`binlog position ${coordinate.position} is not a whole number`, { context: { ...coordinate } });
  }
  return { basename: match[1] ?? '', index: Number(match[2]), position: coordinate.position };
}

/** Orders coordinates of one binlog (negative: a before b). */
export function compareCoordinates(a: ParsedCoordinate, b: ParsedCoordinate): number {
  return a.index !== b.index ? a.index - b.index : a.position - b.position;
}

/** The version of `coordinate` in `epoch`, or undefined when it falls outside the epoch's range. */
export function versionInEpoch(epoch: VersionEpoch, coordinate: ParsedCoordinate): number | undefined {
  if (coordinate.index < epoch.originFile) return undefined;
  const version = epoch.base + (coordinate.index - epoch.originFile) * FILE_STRIDE + Math.min(coordinate.position, FILE_STRIDE - 1);
  return Number.isSafeInteger(version) && version <= MAX_VERSION ? version : undefined;
}

/** The epoch used when the store holds none: the pre-epoch scheme, `fileIndex * 2^32 + position`. */
export function initialEpoch(nowMs: number): VersionEpoch {
  return { epoch: 0, base: 0, originFile: 0, reserved: 0, observed: null, startedAtMs: nowMs, reason: 'first use' };
}

const describe = (coordinate: ParsedCoordinate | null): string => (coordinate === null ? 'none' : `${coordinate.basename}.${String(coordinate.index).padStart(6, '0')}:${coordinate.position}`);

/**
 * Hands out document versions for build snapshots (see the module comment). Use it as:
 * `const ticket = await clock.ticket()` before the snapshot starts, then
 * `await clock.versionOf(ticket, coordinate)` with the snapshot's coordinate. `versionOf` throws
 * a retriable {@link VersionEpochChangedError} when the build must be taken again.
 */
export class VersionClock {
  private current: StoredEpoch | undefined;
  private highest: ParsedCoordinate | null = null;
  private syncedAtMs = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(
    private readonly store: VersionEpochStore,
    private readonly settings: VersionClockSettings,
  ) {
    this.now = settings.now ?? Date.now;
  }

  /** The epoch in use (after the first ticket). */
  get epoch(): VersionEpoch | undefined {
    return this.current?.value;
  }

  /** To be taken right before a build's snapshot starts. */
  async ticket(): Promise<VersionTicket> {
    if (this.current === undefined || this.now() - this.syncedAtMs >= (this.settings.syncIntervalMs ?? 5_000)) await this.sync();
    const epoch = this.current;
    if (epoch === undefined) throw new SluiceError('the version epoch could not be loaded', { retriable: true });
    return { epoch, floor: maxCoordinate(this.highest, epoch.value.observed) };
  }

  /** The version of a snapshot at `coordinate`, whose ticket was taken before the snapshot began. */
  async versionOf(ticket: VersionTicket, coordinate: BinlogCoordinate): Promise<number> {
    const parsed = parseCoordinate(coordinate);
    for (;;) {
      const current = this.current ?? ticket.epoch;
      if (current.value.epoch !== ticket.epoch.value.epoch) {
        throw new VersionEpochChangedError('the version epoch changed while the documents were built; building them again', { from: ticket.epoch.value.epoch, to: current.value.epoch });
      }
      const floor = ticket.floor;
      const wentBack = floor !== null && (floor.basename !== parsed.basename || compareCoordinates(parsed, floor) < 0);
      const version = versionInEpoch(current.value, parsed);
      if (wentBack || version === undefined) {
        const reason = wentBack
          ? floor.basename !== parsed.basename
            ? `the binlog base name changed (${describe(floor)} -> ${describe(parsed)})`
            : `the binlog coordinate went back (${describe(floor)} -> ${describe(parsed)})`
          : `the binlog coordinate ${describe(parsed)} is beyond the range of epoch ${current.value.epoch}`;
        await this.startEpoch(current, parsed, reason);
        throw new VersionEpochChangedError(`${reason}; building the documents again in version epoch ${this.current?.value.epoch ?? '?'}`, { coordinate: describe(parsed) });
      }
      if (version <= current.value.reserved) {
        this.observe(parsed);
        return version;
      }
      await this.reserve(current, parsed, version);
    }
  }

  /** Re-reads the store; publishes the highest coordinate seen when it is above the stored one. */
  async sync(): Promise<void> {
    const stored = await this.store.read();
    this.syncedAtMs = this.now();
    if (stored === undefined) {
      const created = await this.store.compareAndSet(undefined, initialEpoch(this.now()));
      this.adopt(created ?? (await this.store.read()));
      return;
    }
    this.adopt(stored);
    const highest = this.highest;
    if (highest !== null && (stored.value.observed === null || compareCoordinates(highest, stored.value.observed) > 0) && highest.basename === (stored.value.observed?.basename ?? highest.basename)) {
      const written = await this.store.compareAndSet(stored, { ...stored.value, observed: highest });
      if (written !== undefined) this.adopt(written);
    }
  }

  private adopt(stored: StoredEpoch | undefined): void {
    if (stored === undefined) return;
    if (this.current !== undefined && this.current.value.epoch !== stored.value.epoch) this.highest = null;
    if (this.current === undefined || stored.value.epoch >= this.current.value.epoch) this.current = stored;
  }

  private observe(coordinate: ParsedCoordinate): void {
    this.highest = maxCoordinate(this.highest, coordinate);
  }

  /** Raises `reserved` (one file ahead) so that `version` may be issued; adopts what another process wrote meanwhile. */
  private async reserve(current: StoredEpoch, coordinate: ParsedCoordinate, version: number): Promise<void> {
    const reserved = Math.min(MAX_VERSION, version + FILE_STRIDE);
    const next: VersionEpoch = { ...current.value, reserved, observed: maxCoordinate(current.value.observed, coordinate) };
    const written = await this.store.compareAndSet(current, next);
    if (written !== undefined) {
      this.adopt(written);
      return;
    }
    this.adopt(await this.store.read());
  }

  private async startEpoch(current: StoredEpoch, coordinate: ParsedCoordinate, reason: string): Promise<void> {
    const base = current.value.reserved + 1;
    const next: VersionEpoch = {
      epoch: current.value.epoch + 1,
      base,
      originFile: coordinate.index,
      reserved: Math.min(MAX_VERSION, base + coordinate.position + FILE_STRIDE),
      observed: coordinate,
      startedAtMs: this.now(),
      reason,
    };
    if (base + coordinate.position > MAX_VERSION) {
      throw new SluiceError(`document versions are exhausted (epoch ${current.value.epoch} reserved up to ${current.value.reserved}): rebuild the indexes with new names`, { context: { reason } });
    }
    const written = await this.store.compareAndSet(current, next);
    if (written !== undefined) {
      this.settings.logger.error(
        { from: { epoch: current.value.epoch, observed: describe(current.value.observed), reserved: current.value.reserved }, to: { epoch: next.epoch, base, originFile: next.originFile }, reason },
        `${reason}: RESET MASTER, a restored backup, a failover to another server or a renamed binlog? Documents now carry versions of epoch ${next.epoch} (from ${base}), above every earlier version, so they keep updating`,
      );
      this.adopt(written);
    } else {
      this.adopt(await this.store.read());
    }
    this.syncedAtMs = this.now();
  }
}

function maxCoordinate(a: ParsedCoordinate | null, b: ParsedCoordinate | null): ParsedCoordinate | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.basename !== b.basename) return b;
  return compareCoordinates(a, b) >= 0 ? a : b;
}
