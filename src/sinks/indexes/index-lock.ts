import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors.js';
import type { SearchEngine } from '../engine/search-engine.js';

/** The index holding sluice's lock documents (one per locked resource). */
export const LOCK_INDEX = 'sluice-locks';

/** A lock document: who holds it until when, and the holder's resumable state. */
interface LockDocument {
  readonly owner: string | null;
  readonly expiresAt: number;
  readonly state?: Readonly<Record<string, unknown>> | null;
}

/** Another process holds the lock (and `wait` was false, or the wait timed out). */
export class LockHeldError extends SluiceError {
  constructor(
    readonly resource: string,
    readonly owner: string,
    readonly expiresAt: number,
  ) {
    super(`${resource} is locked by ${owner} until ${new Date(expiresAt).toISOString()} (renewed while it runs)`, { retriable: false, context: { resource, owner } });
  }
}

/** The lock was taken over (it expired without renewal, e.g. the process was paused longer than the TTL). */
export class LockLostError extends SluiceError {
  constructor(readonly resource: string) {
    super(`the lock of ${resource} was lost (not renewed within its TTL); stopped so two processes never work on it at once`, { retriable: false });
  }
}

/** Options of {@link IndexLock.acquire}. */
export interface LockOptions {
  /** How long the lock lasts without renewal; renewed every third of it. Default 30 s. */
  readonly ttlMs?: number;
  /** Wait (polling) while another holder has it, up to this many ms; 0 (default) refuses at once. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** The holder's name (default host:pid:random). */
  readonly owner?: string;
  readonly now?: () => number;
}

/**
 * A lock on a named resource held as a document of {@link LOCK_INDEX}, written with
 * compare-and-set (create, or `if_seq_no`/`if_primary_term`), with a TTL renewed in the background
 * while it is held. An expired lock (its holder died, e.g. kill -9) is taken over, and the state
 * the holder saved with {@link save} is handed to the next holder so it can resume. `signal`
 * aborts when the lock is lost.
 */
export class IndexLock {
  private seqNo: number;
  private primaryTerm: number;
  private state: Readonly<Record<string, unknown>> | null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly controller = new AbortController();
  private released = false;

  private constructor(
    private readonly engine: SearchEngine,
    readonly resource: string,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
    written: { _seq_no: number; _primary_term: number },
    /** The state left by the previous holder (undefined when there was none). */
    readonly previousState: Readonly<Record<string, unknown>> | undefined,
  ) {
    this.seqNo = written._seq_no;
    this.primaryTerm = written._primary_term;
    this.state = previousState ?? null;
    this.timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(50, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Aborts when the lock is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Takes the lock of `resource` (see the class comment); throws LockHeldError when it is held. */
  static async acquire(engine: SearchEngine, resource: string, options: LockOptions = {}): Promise<IndexLock> {
    const ttlMs = options.ttlMs ?? 30_000;
    const now = options.now ?? Date.now;
    const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const deadline = now() + (options.waitMs ?? 0);
    await engine.createIndex(LOCK_INDEX, {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { dynamic: false, properties: { owner: { type: 'keyword' }, expiresAt: { type: 'long' } } },
    });
    for (;;) {
      const current = await engine.get<LockDocument>(LOCK_INDEX, resource);
      const at = now();
      if (current === undefined) {
        const written = await engine.putDocument(LOCK_INDEX, resource, { owner, expiresAt: at + ttlMs, state: null }, { create: true });
        if (written !== 'conflict') return new IndexLock(engine, resource, owner, ttlMs, now, written, undefined);
      } else {
        const { owner: holder, expiresAt, state } = current._source;
        if (holder === null || expiresAt <= at) {
          const written = await engine.putDocument(LOCK_INDEX, resource, { owner, expiresAt: at + ttlMs, state: state ?? null }, { ifSeqNo: current._seq_no, ifPrimaryTerm: current._primary_term });
          if (written !== 'conflict') return new IndexLock(engine, resource, owner, ttlMs, now, written, state ?? undefined);
        } else if (at >= deadline) {
          throw new LockHeldError(resource, holder, expiresAt);
        } else {
          await sleep(Math.min(options.pollMs ?? 500, Math.max(1, deadline - at)));
        }
      }
    }
  }

  /** Saves the holder's state in the lock document (what a holder taking over after a crash resumes from). */
  save(state: Readonly<Record<string, unknown>> | null): Promise<void> {
    this.state = state;
    return this.write(this.now() + this.ttlMs, this.owner);
  }

  /** Extends the lock by its TTL. */
  renew(): Promise<void> {
    if (this.released) return Promise.resolve();
    return this.write(this.now() + this.ttlMs, this.owner);
  }

  /** Releases the lock and stops renewing; `state` replaces the saved state (null clears it, undefined keeps it). */
  async release(state?: Readonly<Record<string, unknown>> | null): Promise<void> {
    clearInterval(this.timer);
    if (state !== undefined) this.state = state;
    await this.write(0, null);
    this.released = true;
  }

  private write(expiresAt: number, owner: string | null): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.controller.signal.aborted) throw new LockLostError(this.resource);
      const written = await this.engine.putDocument(LOCK_INDEX, this.resource, { owner, expiresAt, state: this.state }, { ifSeqNo: this.seqNo, ifPrimaryTerm: this.primaryTerm });
      if (written === 'conflict') {
        clearInterval(this.timer);
        this.controller.abort(new LockLostError(this.resource));
        throw new LockLostError(this.resource);
      }
      this.seqNo = written._seq_no;
      this.primaryTerm = written._primary_term;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
