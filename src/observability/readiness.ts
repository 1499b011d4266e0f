import type { StatusSnapshot } from './pipeline-observer.js';

/** A failure this recent means the part is still failing (retries wait at most 30 s between attempts). */
const STILL_FAILING_MS = 60_000;

/** The answer of /health/ready: ready, or not with the reasons. */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** What the readiness check needs besides the snapshot. */
export interface ReadinessSettings {
  /** A part with work waiting that made no progress for this long is not ready. */
  readonly stallTimeoutMs: number;
  /** A consumer lag older than this means Kafka is not reachable (a few lag-reading intervals). */
  readonly lagStaleMs: number;
}

/**
 * Whether a running sluice process is ready: every part it runs is connected and making
 * progress. The capture (run, source) is ready once it has started (snapshot rows or a saved
 * position); the sink (run, sink) once its consumer lag could be read from Kafka recently, and not
 * while it has lag but committed no page for `stallTimeoutMs`. Any part that has been failing
 * (retries without progress) for `stallTimeoutMs` is not ready, with the last error as the reason.
 */
export function assessReadiness(status: StatusSnapshot, settings: ReadinessSettings): Readiness {
  const reasons: string[] = [];
  const { command } = status.outline;
  const now = status.nowMs;
  const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
  const captures = command === 'run' || command === 'source';
  const sinks = command === 'run' || command === 'sink';
  if (captures) {
    const capture = status.capture;
    if (!status.captureStarted || capture === undefined) reasons.push('capture: not started yet');
    else if (capture.lastSaved === undefined && capture.snapshotRows === 0) reasons.push('capture: connecting (no snapshot row read and no position saved yet)');
  }
  if (sinks) {
    if (status.lagReadAtMs === undefined) {
      reasons.push(`sink: consumer lag not read from Kafka yet${status.lagError === undefined ? '' : ` (${status.lagError})`}`);
    } else if (now - status.lagReadAtMs > settings.lagStaleMs) {
      reasons.push(`sink: consumer lag not read for ${seconds(now - status.lagReadAtMs)}${status.lagError === undefined ? '' : `: ${status.lagError}`}`);
    }
    let waiting = 0;
    let partitions = 0;
    for (const group of status.groups) {
      for (const entry of group.partitions) {
        if (entry.lag <= 0) continue;
        waiting += entry.lag;
        partitions += 1;
      }
    }
    const idle = now - Math.max(status.lastProgressMs.sink, status.lagSinceMs ?? now);
    if (waiting > 0 && idle > settings.stallTimeoutMs) {
      reasons.push(`sink: ${waiting} message(s) waiting on ${partitions} partition(s) but no page committed for ${seconds(idle)} (stallTimeoutMs ${settings.stallTimeoutMs})`);
    }
  }
  const lastProgress = Math.max(status.startedAtMs, ...(captures ? [status.lastProgressMs.capture] : []), ...(sinks ? [status.lastProgressMs.sink] : []), ...(command === 'sync' ? [status.lastProgressMs.sync] : []));
  const failing = status.errors.filter((error) => error.atMs > lastProgress);
  const oldest = failing[failing.length - 1];
  const latest = failing[0];
  if (oldest !== undefined && latest !== undefined && now - latest.atMs <= STILL_FAILING_MS && now - oldest.atMs > settings.stallTimeoutMs) {
    reasons.push(`failing for ${seconds(now - oldest.atMs)} without progress: ${latest.service} ${latest.kind}: ${latest.message}`);
  }
  return { ready: reasons.length === 0, reasons };
}
