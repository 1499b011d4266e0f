import kafkajs, { type Kafka } from 'kafkajs';
import { describeError } from '../errors.js';
import { abortableSleep, backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry.js';
import { MysqlCapture, type MysqlCaptureSettings } from './mysql-capture.js';

/** True when `error`, or one of its causes, is a Kafka condition kafkajs calls retriable (a topic whose leader is not elected yet, a broker moving). */
export function isRetriableKafkaError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof kafkajs.KafkaJSError && current.retriable) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Runs a MySQL capture until `signal` aborts. When it stops on a retriable Kafka condition, for
 * example a topic another process created a moment ago whose metadata is not everywhere yet, a
 * new capture starts after a backoff from the saved position (saved only after Kafka acknowledged
 * the events, so nothing is skipped). Any other error ends the run. `onStart` sees each capture.
 */
export async function runCaptureUntilStopped(
  kafka: Kafka,
  settings: MysqlCaptureSettings,
  signal: AbortSignal,
  onStart: (capture: MysqlCapture) => void = () => undefined,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<void> {
  let current = settings;
  for (let attempt = 1; ; attempt += 1) {
    const capture = new MysqlCapture(kafka, current);
    onStart(capture);
    try {
      await capture.run(signal);
      return;
    } catch (error) {
      if (signal.aborted || !isRetriableKafkaError(error)) throw error;
      // a requested re-snapshot is done once it saved a completed snapshot
      if (capture.stats.lastSaved?.snapshotCompleted === true) current = { ...current, resnapshot: false };
      const delayMs = backoffDelay(policy, attempt);
      settings.logger.warn({ attempt, delayMs, error: describeError(error) }, 'the capture stopped on a Kafka condition; starting it again from the saved position');
      await abortableSleep(delayMs, signal);
      if (signal.aborted) return;
    }
  }
}
