import kafkajs, { type Kafka } from 'kafkajs';
import { describeError, SluiceError } from '../errors.js';
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

/** mysql2 / Node error codes of a connection that dropped or cannot be made yet (a restarting server). */
const TRANSIENT_CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_CON_COUNT_ERROR', 'ER_NET_READ_ERROR', 'ER_NET_READ_INTERRUPTED', 'ER_NET_ERROR_ON_WRITE',
]);

/**
 * True when `error` or one of its causes says the database connection dropped or cannot be made
 * yet (the server restarts, a failover, a half-open connection found by the binlog heartbeat):
 * a new capture from the saved position will succeed once the server is back.
 */
export function isTransientSourceError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CONNECTION_CODES.has(code)) return true;
    if (current instanceof SluiceError && current.retriable && typeof current.context.heartbeatMs === 'number') return true;
    current = current.cause;
  }
  return false;
}

/**
 * Runs a MySQL capture until `signal` aborts. When it stops on a retriable Kafka condition, for
 * example a topic another process created a moment ago whose metadata is not everywhere yet, or on
 * a lost database connection (see {@link isTransientSourceError}), a new capture starts after a
 * backoff from the saved position (saved only after Kafka acknowledged
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
    // a capture that delivered batches before it failed starts the backoff over
    const capture = new MysqlCapture(kafka, current);
    onStart(capture);
    try {
      await capture.run(signal);
      return;
    } catch (error) {
      if (signal.aborted || !(isRetriableKafkaError(error) || isTransientSourceError(error))) throw error;
      // a requested re-snapshot is done once it saved a completed snapshot
      if (capture.stats.lastSaved?.snapshotCompleted === true) current = { ...current, resnapshot: false };
      if (capture.stats.batches > 0) attempt = 1;
      const delayMs = backoffDelay(policy, attempt);
      settings.logger.warn({ attempt, delayMs, error: describeError(error) }, 'the capture stopped on a transient Kafka or database condition; starting it again from the saved position');
      await abortableSleep(delayMs, signal);
      if (signal.aborted) return;
    }
  }
}
