import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './stack-error.js';

/** Who holds the stack lock (the lock file's content). */
export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** A held lock; `release` is idempotent. */
export interface StackLock {
  readonly path: string;
  release(): void;
}

/** Options of {@link acquireStackLock}. */
export interface LockOptions {
  /** What the holder is doing, shown to whoever waits ("up", "down"). */
  readonly command: string;
  /** How long to wait for another holder before giving up (default 20 minutes: a cold start downloads). */
  readonly timeoutMs?: number;
  /** Called once when the lock is busy and this process starts waiting. */
  readonly onWait?: (holder: LockHolder) => void;
  readonly pollMs?: number;
}

const BREAKER_STALE_MS = 10_000;

/** The lock file of a stack directory. */
export function stackLockPath(stackDir: string): string {
  return join(stackDir, 'stack.lock');
}

/**
 * Takes the stack directory's lock, so only one `stack up` or `stack down` acts on the services at
 * a time (two concurrent starts once formatted Kafka's storage twice and started three mariadbd
 * on one data directory). The lock is a file created exclusively (O_EXCL) holding the pid; a lock
 * whose process is gone is stale and broken, under a second short-lived lock so two waiters never
 * both break it and then remove each other's fresh lock. Waits while a live process holds it.
 */
export async function acquireStackLock(stackDir: string, options: LockOptions): Promise<StackLock> {
  mkdirSync(stackDir, { recursive: true });
  const path = stackLockPath(stackDir);
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  let waiting = false;
  for (;;) {
    if (tryCreate(path, { pid: process.pid, command: options.command, since: new Date().toISOString() })) {
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    }
    const holder = readHolder(path);
    if (holder === undefined || !isAlive(holder.pid)) {
      breakStaleLock(path, holder);
      await sleep(10);
      continue;
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.(holder);
    }
    if (Date.now() > deadline) {
      throw new StackError(
        'stack',
        `another stack command (pid ${holder.pid}, \`${holder.command}\` since ${holder.since}) still holds ${path}`,
        `wait for it to finish; if it hangs, stop that process (kill ${holder.pid}) and run the command again`,
      );
    }
    await sleep(options.pollMs ?? 200);
  }
}

/** Runs `action` while holding the stack lock. */
export async function withStackLock<T>(stackDir: string, options: LockOptions, action: () => Promise<T>): Promise<T> {
  const lock = await acquireStackLock(stackDir, options);
  try {
    return await action();
  } finally {
    lock.release();
  }
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder recorded in a lock file; undefined when absent, or unreadable while being written. */
export function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, command: String(holder.command), since: String(holder.since) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a lock whose holder is dead (or a lock file that stays unreadable), holding a breaker
 * lock so that the check and the removal are one step for every waiter.
 */
function breakStaleLock(path: string, seen: LockHolder | undefined): void {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker, { pid: process.pid, command: 'break', since: new Date().toISOString() })) {
    // a breaker left by a process that died in the middle of breaking
    const age = ageMs(breaker);
    if (age !== undefined && age > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    return;
  }
  try {
    const now = readHolder(path);
    const stale = now === undefined ? seen === undefined && (ageMs(path) ?? 0) > 2_000 : !isAlive(now.pid) && now.pid === seen?.pid;
    if (stale) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
