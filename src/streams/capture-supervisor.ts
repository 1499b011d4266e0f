import type { Kafka } from 'kafkajs';
import { classifyError } from '../classify-error.js';
import { describeError, SluiceError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, retry, type RetryPolicy } from '../retry.js';
import { MysqlCapture, type MysqlCaptureSettings } from './mysql-capture.js';

/** True when `error`, or one of its causes, is a transient Kafka condition (a topic whose leader is not elected yet, a broker moving), by classifyError. */
export function isRetriableKafkaError(error: unknown): boolean {
  const verdict = classifyError(error);
  return verdict.kind === 'transient' && verdict.service === 'kafka';
}

/**
 * True when `error` or one of its causes says the database connection dropped or cannot be made
 * yet (the server restarts, a failover, a network cut: classifyError's transient MySQL and network
 * conditions) or the binlog heartbeat found the connection silent (half-open): a new capture from
 * the saved position will succeed once the server is back.
 */
export function isTransientSourceError(error: unknown): boolean {
  const verdict = classifyError(error);
  if (verdict.kind === 'transient' && (verdict.service === 'mysql' || verdict.service === 'network')) return true;
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof SluiceError && current.retriable && typeof current.context.heartbeatMs === 'number') return true;
    current = current.cause;
  }
  return false;
}

/**
 * Runs a MySQL capture until `signal` aborts. When it stops on a retriable Kafka condition, for
 * example a topic another process created a moment ago whose metadata is not everywhere yet, or on
 * a lost database connection (see {@link isTransientSourceError}), a new capture starts after a
 * backoff (the shared `retry` helper) from the saved position (saved only after Kafka acknowledged
 * the events, so nothing is skipped). Any other error ends the run; a permanent one of a known
 * service as a PermanentError with the fix. Transient conditions are retried without a time limit
 * by default. `onStart` sees each capture.
 */
export async function runCaptureUntilStopped(
  kafka: Kafka,
  settings: MysqlCaptureSettings,
  signal: AbortSignal,
  onStart: (capture: MysqlCapture) => void = () => undefined,
  policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY },
): Promise<void> {
  let current = settings;
  await retry(
    async (attempt, progress) => {
      if (attempt > 1 && signal.aborted) return;
      const capture = new MysqlCapture(kafka, current);
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
      onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, error: describeError(error) }, 'the capture stopped on a transient Kafka or database condition; starting it again from the saved position'),
    },
  );
}
