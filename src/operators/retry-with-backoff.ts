import { retry, timer, type MonoTypeOperatorFunction } from 'rxjs';
import { isRetriable, nextRetry, type RetryPolicy } from '../retry.js';

/**
 * Resubscribes to the source after a retriable error, waiting with the policy's exponential
 * backoff and jitter; the decision is sluice's one retry decision (`nextRetry`, as in `retry`):
 * errors that are not retriable (programmer errors, permanent errors of a service, non-retriable
 * SluiceErrors) and the error after `policy.maxAttempts` attempts pass through. A value received
 * resets the attempt count.
 */
export function retryWithBackoff<T>(
  policy: RetryPolicy,
  shouldRetry: (error: unknown) => boolean = isRetriable,
  random: () => number = Math.random,
): MonoTypeOperatorFunction<T> {
  return retry({
    resetOnSuccess: true,
    delay: (error: unknown, retryCount: number) => {
      const decision = nextRetry(policy, error, retryCount, 0, shouldRetry, random);
      if (!decision.retry) throw error;
      return timer(decision.delayMs);
    },
  });
}
