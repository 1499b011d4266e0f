import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { FlowControl } from '../sources/source.js';

/** Hooks of {@link PendingEvents}. */
export interface PendingHooks {
  /** The source's pause/resume controls, once known (the source hands them over when its stream runs). */
  readonly flow: () => FlowControl | undefined;
  /** Called when reading pauses (stats). */
  readonly onPause?: () => void;
  /** Called with the count after each batch read (stats: the most pending at any time). */
  readonly onCount?: (pending: number) => void;
}

/**
 * The events read from the source but not acknowledged by Kafka yet: above `limit`, reading
 * pauses; it resumes once at most half of `limit` are pending. Shared by {@link trackPending}
 * (counts a batch in when read) and {@link releasePending} (counts it out once acknowledged).
 */
export class PendingEvents {
  private pending = 0;
  private paused = false;

  constructor(
    readonly limit: number,
    private readonly hooks: PendingHooks,
  ) {}

  /** Events read and not acknowledged yet. */
  get count(): number {
    return this.pending;
  }

  /** True when nothing is queued: no batch read waits for its acknowledgement. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Counts `events` in; pauses reading above the limit. */
  add(events: number): void {
    this.pending += events;
    this.hooks.onCount?.(this.pending);
    if (this.paused || this.pending <= this.limit) return;
    this.paused = true;
    this.hooks.onPause?.();
    this.hooks.flow()?.pause();
  }

  /** Counts `events` out (acknowledged); resumes reading at half the limit. */
  release(events: number): void {
    this.pending -= events;
    if (!this.paused || this.pending > this.limit / 2) return;
    this.paused = false;
    this.hooks.flow()?.resume();
  }
}

/**
 * Backpressure, first half: counts each batch's events in as it is read (before it waits in
 * line for Kafka), pausing the source above the limit. Batches pass unchanged.
 */
export function trackPending<B>(pending: PendingEvents, size: (batch: B) => number): MonoTypeOperatorFunction<B> {
  return tap((batch) => pending.add(size(batch)));
}

/**
 * Backpressure, second half: counts each batch's events out once Kafka acknowledged them,
 * resuming the source at half the limit. Batches pass unchanged.
 */
export function releasePending<B>(pending: PendingEvents, size: (batch: B) => number): MonoTypeOperatorFunction<B> {
  return tap((batch) => pending.release(size(batch)));
}
