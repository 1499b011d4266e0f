import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import {
  FILE_STRIDE,
  VersionClock,
  VersionEpochChangedError,
  type BinlogCoordinate,
  type StoredEpoch,
  type VersionEpoch,
  type VersionEpochStore,
} from '../../../src/descriptors/version-clock.js';
import { retry } from '../../../src/retry.js';

/** An in-memory store with the same compare-and-set contract as the Elasticsearch one. */
class MemoryStore implements VersionEpochStore {
  stored: StoredEpoch | undefined;
  writes = 0;
  private revision = 0;

  read(): Promise<StoredEpoch | undefined> {
    return Promise.resolve(this.stored);
  }

  compareAndSet(expected: StoredEpoch | undefined, next: VersionEpoch): Promise<StoredEpoch | undefined> {
    if (expected?.revision !== this.stored?.revision) return Promise.resolve(undefined);
    this.revision += 1;
    this.writes += 1;
    this.stored = { value: next, revision: String(this.revision) };
    return Promise.resolve(this.stored);
  }
}

function fakeLogger(): Logger & { error: ReturnType<typeof vi.fn> } {
  return { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() } as unknown as Logger & { error: ReturnType<typeof vi.fn> };
}

const at = (file: string, position: number): BinlogCoordinate => ({ file, position });

/** What a build does: a ticket, the snapshot (its coordinate), the version; retried like the page processor retries builds. */
async function build(clock: VersionClock, snapshot: () => BinlogCoordinate): Promise<number> {
  return retry(async () => clock.versionOf(await clock.ticket(), snapshot()), { policy: { maxAttempts: 5, initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, maxElapsedMs: 10_000 } });
}

describe('VersionClock', () => {
  it('gives the pre-epoch versions (file index * 2^32 + position) in epoch 0, so existing indexes keep working', async () => {
    const clock = new VersionClock(new MemoryStore(), { logger: fakeLogger() });
    expect(await build(clock, () => at('mysql-bin.000003', 1234))).toBe(3 * 2 ** 32 + 1234);
    expect(await build(clock, () => at('mysql-bin.000003', 5000))).toBe(3 * 2 ** 32 + 5000);
    expect(clock.epoch?.epoch).toBe(0);
  });

  it('after RESET MASTER (the coordinate goes back to file 1), starts a new epoch above every earlier version and says so', async () => {
    const store = new MemoryStore();
    const logger = fakeLogger();
    const clock = new VersionClock(store, { logger });
    const before = await build(clock, () => at('mariadb-bin.000007', 900_000));
    const ticket = await clock.ticket();
    await expect(clock.versionOf(ticket, at('mariadb-bin.000001', 329))).rejects.toBeInstanceOf(VersionEpochChangedError);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(String(logger.error.mock.calls[0]?.[1])).toContain('went back (mariadb-bin.000007:900000 -> mariadb-bin.000001:329)');
    expect(String(logger.error.mock.calls[0]?.[1])).toContain('RESET MASTER');
    expect(store.stored?.value.epoch).toBe(1);
    // the build taken again gets a version above everything of epoch 0, and versions grow again
    const after = await build(clock, () => at('mariadb-bin.000001', 400));
    const later = await build(clock, () => at('mariadb-bin.000001', 9_000));
    const nextFile = await build(clock, () => at('mariadb-bin.000002', 4));
    expect(after).toBeGreaterThan(before);
    expect(later).toBeGreaterThan(after);
    expect(nextFile).toBeGreaterThan(later);
  });

  it('a build retried through the page processor retry loop ends with a version (the reset never stalls the sink)', async () => {
    const clock = new VersionClock(new MemoryStore(), { logger: fakeLogger() });
    await build(clock, () => at('binlog.000050', 100));
    const coordinates = [at('binlog.000001', 200), at('binlog.000001', 250)];
    const version = await build(clock, () => coordinates.shift() ?? at('binlog.000001', 300));
    expect(version).toBeGreaterThan(50 * FILE_STRIDE + 100);
  });

  it('two sink processes that see the same reset start one epoch, not two', async () => {
    const store = new MemoryStore();
    const first = new VersionClock(store, { logger: fakeLogger() });
    const second = new VersionClock(store, { logger: fakeLogger() });
    await build(first, () => at('bin.000009', 500));
    await build(second, () => at('bin.000009', 700));
    const ticketOne = await first.ticket();
    const ticketTwo = await second.ticket();
    await expect(first.versionOf(ticketOne, at('bin.000001', 10))).rejects.toBeInstanceOf(VersionEpochChangedError);
    await expect(second.versionOf(ticketTwo, at('bin.000001', 12))).rejects.toBeInstanceOf(VersionEpochChangedError);
    expect(store.stored?.value.epoch).toBe(1);
    const one = await build(first, () => at('bin.000001', 20));
    const two = await build(second, () => at('bin.000001', 30));
    expect(two).toBeGreaterThan(one);
    expect(second.epoch?.epoch).toBe(1);
  });

  it('a process started after the reset detects it from the coordinate the others stored', async () => {
    const store = new MemoryStore();
    const old = new VersionClock(store, { logger: fakeLogger() });
    const before = await build(old, () => at('bin.000012', 4_000));
    const logger = fakeLogger();
    const fresh = new VersionClock(store, { logger });
    const version = await build(fresh, () => at('bin.000001', 4));
    expect(version).toBeGreaterThan(before);
    expect(logger.error).toHaveBeenCalledTimes(1);
    // the old process adopts the epoch at its next build: its snapshot predates nothing, its floor is the new epoch's
    const ticket = await old.ticket();
    await expect(old.versionOf(ticket, at('bin.000001', 10))).rejects.toBeInstanceOf(VersionEpochChangedError);
    expect(await build(old, () => at('bin.000001', 10))).toBeGreaterThan(version);
  });

  it('concurrent builds of one process are not taken for a regression (the floor is what was known before each snapshot)', async () => {
    const store = new MemoryStore();
    const logger = fakeLogger();
    const clock = new VersionClock(store, { logger });
    await build(clock, () => at('bin.000002', 100));
    const early = await clock.ticket();
    const late = await clock.ticket();
    const lateVersion = await clock.versionOf(late, at('bin.000002', 900));
    const earlyVersion = await clock.versionOf(early, at('bin.000002', 500));
    expect(earlyVersion).toBeLessThan(lateVersion);
    expect(logger.error).not.toHaveBeenCalled();
    expect(store.stored?.value.epoch).toBe(0);
  });

  it('a renamed binlog (another base name) starts a new epoch', async () => {
    const store = new MemoryStore();
    const clock = new VersionClock(store, { logger: fakeLogger() });
    const before = await build(clock, () => at('mysql-bin.000004', 100));
    const after = await build(clock, () => at('db1-bin.000004', 200));
    expect(store.stored?.value.epoch).toBe(1);
    expect(after).toBeGreaterThan(before);
  });

  it('a coordinate out of the encodable range does not stall the sink: a new epoch counts from its file', async () => {
    const store = new MemoryStore();
    const logger = fakeLogger();
    const clock = new VersionClock(store, { logger });
    const before = await build(clock, () => at('bin.000005', 100));
    // 2^21 files would put the version beyond 2^53
    const far = await build(clock, () => at(`bin.${2 ** 21 + 7}`, 4));
    expect(far).toBeGreaterThan(before);
    expect(Number.isSafeInteger(far)).toBe(true);
    expect(store.stored?.value.epoch).toBe(1);
    expect(String(logger.error.mock.calls[0]?.[1])).toContain('beyond the range of epoch 0');
    expect(await build(clock, () => at(`bin.${2 ** 21 + 7}`, 50))).toBeGreaterThan(far);
    // a position beyond 4 GiB is clamped inside its file, never an error
    expect(await build(clock, () => at(`bin.${2 ** 21 + 7}`, 2 ** 33))).toBeGreaterThan(far);
  });

  it('reserves versions in the store ahead of use, one file at a time, and the next epoch starts above the reservation', async () => {
    const store = new MemoryStore();
    const clock = new VersionClock(store, { logger: fakeLogger(), syncIntervalMs: 60_000 });
    await build(clock, () => at('bin.000001', 4));
    const writes = store.writes;
    for (let position = 10; position < 1000; position += 10) await build(clock, () => at('bin.000001', position));
    expect(store.writes).toBe(writes);
    const highest = await build(clock, () => at('bin.000003', 4));
    expect(store.writes).toBe(writes + 1);
    expect(store.stored?.value.reserved).toBeGreaterThanOrEqual(highest);
    const reserved = store.stored?.value.reserved ?? 0;
    await build(clock, () => at('bin.000001', 4));
    expect(store.stored?.value.base).toBe(reserved + 1);
  });

  it('publishes the highest coordinate it saw at each sync, so another process detects a reset against it', async () => {
    let now = 0;
    const store = new MemoryStore();
    const clock = new VersionClock(store, { logger: fakeLogger(), syncIntervalMs: 1000, now: () => now });
    await build(clock, () => at('bin.000001', 4));
    await build(clock, () => at('bin.000001', 5_000_000));
    now = 2000;
    await clock.ticket();
    expect(store.stored?.value.observed).toEqual({ basename: 'bin', index: 1, position: 5_000_000 });
    const other = new VersionClock(store, { logger: fakeLogger() });
    // a reset while still in file 1: lower than what was published
    await expect(other.versionOf(await other.ticket(), at('bin.000001', 300))).rejects.toBeInstanceOf(VersionEpochChangedError);
  });
});
