import type { SinkChangeEvent } from '../model/change-event.js';

/** Percentiles of commit-to-acknowledged latency, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/**
 * Records how long streamed changes took from their commit in the source (the event's
 * `source.tsMs`) to the moment their page was acknowledged, over the last `capacity` changes.
 * Snapshot reads are left out: their timestamp is the snapshot's, not a commit.
 */
export class LatencyRecorder {
  private readonly samples: number[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly capacity: number) {}

  /** A summary with no samples. */
  static empty(): LatencySummary {
    return { count: 0, p50: null, p95: null, p99: null, max: null };
  }

  /** Records the changes of a page acknowledged now. */
  recordChanges(events: readonly SinkChangeEvent[], now: number = Date.now()): void {
    for (const event of events) {
      if (event.source.snapshot !== 'false') continue;
      this.record(Math.max(0, now - event.source.tsMs));
    }
  }

  /** Records one latency. */
  record(milliseconds: number): void {
    this.total += 1;
    if (this.samples.length < this.capacity) this.samples.push(milliseconds);
    else this.samples[this.next] = milliseconds;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Percentiles over the recorded window. */
  summary(): LatencySummary {
    if (this.samples.length === 0) return LatencyRecorder.empty();
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (fraction: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
    return { count: this.total, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? null };
  }
}
