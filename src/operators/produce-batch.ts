import { concatMap, defer, map, type MonoTypeOperatorFunction } from 'rxjs';
import type { ChangeEvent } from '../model/change-event.js';
import type { OutgoingChange } from '../model/outgoing-change.js';
import { DEFAULT_RETRY_POLICY, retry, type RetryOptions, type RetryPolicy } from '../retry.js';
import type { CaptureBatch, PositionSave } from './capture-batch.js';

/**
 * Sends each batch to Kafka with `send`, the next one only once the previous one was
 * acknowledged (one batch in flight, so the events and the positions riding along stay in
 * order), and emits the batch once acknowledged. A failed send (after its retries, see
 * {@link retryingSend}) errors the stream: nothing after it is sent.
 */
export function produceBatch<B, S extends PositionSave>(send: (batch: CaptureBatch<B, S>) => PromiseLike<void>): MonoTypeOperatorFunction<CaptureBatch<B, S>> {
  return concatMap((batch) => defer(() => send(batch)).pipe(map(() => batch)));
}

/** Options of {@link retryingSend}. */
export interface RetryingSendOptions {
  readonly policy?: RetryPolicy;
  /** Called before each wait (logging). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Called after Kafka acknowledged a batch with events, with how long the produce took (metrics). */
  readonly onProduced?: (events: readonly ChangeEvent[], durationMs: number) => void;
  /** The retry's sleep (tests). */
  readonly sleep?: RetryOptions['sleep'];
}

/**
 * The send of {@link produceBatch}: `write` (the change writer: Avro, topic routing, requests)
 * with the batch's events and its position save, retried with backoff by sluice's retry helper
 * while the failure is transient; a permanent Kafka error becomes a PermanentError.
 */
export function retryingSend<B, S extends PositionSave>(
  write: (changes: readonly OutgoingChange[], positionSave: S | undefined) => Promise<void>,
  options: RetryingSendOptions = {},
): (batch: CaptureBatch<B, S>) => Promise<void> {
  return (batch) =>
    retry(
      async () => {
        const startedMs = performance.now();
        await write(batch.changes, batch.positionSave);
        if (batch.changes.length > 0) options.onProduced?.(batch.changes.map((change) => change.event), performance.now() - startedMs);
      },
      {
        policy: options.policy ?? DEFAULT_RETRY_POLICY,
        what: 'writing change events to Kafka',
        ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      },
    );
}
