import { retry, timer, type MonoTypeOperatorFunction } from 'rxjs';
import { backoffDelay, isRetriable, type RetryPolicy } from '../retry.js';

/**
 * Resubscribes to the source after a retriable error, waiting with the policy's exponential
 * backoff and jitter; errors that are not retriable (programmer errors, non-retriable
 * SluiceErrors) and the error after `policy.maxAttempts` attempts pass through. A value
 * received resets the attempt count.
 */
export function retryWithBackoff<T>(
  policy: RetryPolicy,
  shouldRetry: (error: unknown) => boolean = isRetriable,
  random: () => number = Math.random,
): MonoTypeOperatorFunction<T> {
  return retry({
    count: Number.isFinite(policy.maxAttempts) ? Math.max(0, policy.maxAttempts - 1) : Number.POSITIVE_INFINITY,
    resetOnSuccess: true,
    delay: (error: unknown, retryCount: number) => {
      if (!shouldRetry(error)) throw error;
      return timer(backoffDelay(policy, retryCount, random));
    },
  });
}
