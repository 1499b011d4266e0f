import { isProgrammerError, SluiceError } from './errors.js';

/**
 * How a retried operation waits between attempts: exponential backoff with full jitter,
 * bounded by `maxDelayMs`, giving up after `maxAttempts` attempts or `maxElapsedMs`.
 * Tests inject short policies; production code uses {@link DEFAULT_RETRY_POLICY}.
 */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
  /** 0 = no jitter, 1 = full jitter (delay drawn uniformly in [0, computed delay]). */
  readonly jitter: number;
}

/** Defaults for talking to services: 300 ms doubling to 30 s, for up to 10 minutes. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 300,
  maxDelayMs: 30_000,
  multiplier: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
  maxElapsedMs: 10 * 60_000,
  jitter: 0.5,
};

/**
 * The delay before retry number `attempt` (1 = first retry). `random` is injectable so the
 * schedule is testable; it must return a number in [0, 1).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (1 - policy.jitter * random()));
}

/** Whether an error should be retried: never programmer errors, never non-retriable SluiceErrors. */
export function isRetriable(error: unknown): boolean {
  if (isProgrammerError(error)) return false;
  if (error instanceof SluiceError) return error.retriable;
  return true;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  readonly policy?: RetryPolicy;
  /** Decides per error whether to try again; defaults to {@link isRetriable}. */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Called before each wait, for logging. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborting stops the retries: the last error is thrown. */
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Runs `operation` until it resolves, retrying retriable failures with backoff. Throws the last
 * error once the policy is exhausted, the error is not retriable (bail-out), or `signal` aborts.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const shouldRetry = options.shouldRetry ?? isRetriable;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      const exhausted = attempt >= policy.maxAttempts || now() - started >= policy.maxElapsedMs;
      if (exhausted || options.signal?.aborted === true || !shouldRetry(error)) throw error;
      const delayMs = backoffDelay(policy, attempt);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
