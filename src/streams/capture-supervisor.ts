import { classifyError } from '../classify-error.js';
import { DEFAULT_RETRY_POLICY, retry, type RetryPolicy } from '../retry.js';
import type { Logger } from 'pino';
import type { SavedCapturePosition } from './capture-positions.js';

/** What the supervisor needs of a capture's settings (a SourceCapture's CaptureSettings have it). */
export interface SupervisedCaptureSettings {
  readonly pipeline: string;
  readonly resnapshot?: boolean;
  readonly logger: Logger;
}

/** What the supervisor needs of a capture (a SourceCapture is one): run it, and see whether it saved a position. */
export interface SupervisedCapture {
  run(signal: AbortSignal): Promise<void>;
  readonly stats: { readonly lastSaved: SavedCapturePosition | undefined };
}

/** True when `error`, or one of its causes, is a transient Kafka condition (a topic whose leader is not elected yet, a broker moving), by classifyError. */
export function isRetriableKafkaError(error: unknown): boolean {
  const verdict = classifyError(error);
  return verdict.kind === 'transient' && verdict.service === 'kafka';
}

/**
 * Runs a capture until `signal` aborts. When it stops on a retriable Kafka condition, for
 * example a topic another process created a moment ago whose metadata is not everywhere yet, or on
 * a transient condition of the source (`isTransientSourceError`: for MySQL, a lost database
 * connection), a new capture (made by `createCapture`) starts after a
 * backoff (the shared `retry` helper) from the saved position (saved only after Kafka acknowledged
 * the events, so nothing is skipped). Any other error ends the run; a permanent one of a known
 * service as a PermanentError with the fix. Transient conditions are retried without a time limit
 * by default. `onStart` sees each capture.
 */
export async function runCaptureUntilStopped<S extends SupervisedCaptureSettings, C extends SupervisedCapture>(
  createCapture: (settings: S) => C,
  isTransientSourceError: (error: unknown) => boolean,
  settings: S,
  signal: AbortSignal,
  onStart: (capture: C) => void = () => undefined,
  policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY },
): Promise<void> {
  let current = settings;
  await retry(
    async (attempt, progress) => {
      if (attempt > 1 && signal.aborted) return;
      const capture = createCapture(current);
      onStart(capture);
      try {
        await capture.run(signal);
      } catch (error) {
        // a requested re-snapshot is done once it saved a completed snapshot
        if (capture.stats.lastSaved?.snapshotCompleted === true) current = { ...current, resnapshot: false };
        // a capture that saved a position made progress: this failure starts a new streak
        if (capture.stats.lastSaved !== undefined) progress();
        throw error;
      }
    },
    {
      policy,
      signal,
      what: `capturing ${settings.pipeline}`,
      shouldRetry: (error) => !signal.aborted && (isRetriableKafkaError(error) || isTransientSourceError(error)),
      onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, err: error }, 'the capture stopped on a transient Kafka or database condition; starting it again from the saved position'),
    },
  );
}
