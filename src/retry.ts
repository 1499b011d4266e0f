import { classifyError, isRetriableError } from './classify-error.js';
import { ConfigurationError, PermanentError } from './errors.js';

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

/**
 * Whether an error should be retried: transient and unrecognised errors yes; permanent ones
 * (see {@link classifyError}: credentials, privileges, a dropped column, a refused mapping,
 * non-retriable SluiceErrors, ConfigurationErrors) and programmer errors never.
 */
export function isRetriable(error: unknown): boolean {
  return isRetriableError(error);
}

/** What {@link nextRetry} decides after a failure. */
export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false };

/**
 * The one retry decision of sluice, shared by {@link retry} and the RxJS `retryWithBackoff`:
 * after failure number `failures` of a streak that started `elapsedMs` ago, try again after the
 * policy's backoff unless `shouldRetry` refuses the error or the policy is exhausted.
 */
export function nextRetry(
  policy: RetryPolicy,
  error: unknown,
  failures: number,
  elapsedMs: number,
  shouldRetry: (error: unknown) => boolean = isRetriable,
  random: () => number = Math.random,
): RetryDecision {
  if (!shouldRetry(error)) return { retry: false };
  if (failures >= policy.maxAttempts || elapsedMs >= policy.maxElapsedMs) return { retry: false };
  return { retry: true, delayMs: backoffDelay(policy, failures, random) };
}

/** Options of {@link retry}. */
export interface RetryOptions {
  readonly policy?: RetryPolicy;
  /** Decides per error whether to try again; defaults to {@link isRetriable}. */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Called before each wait, for logging. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /**
   * What the operation does ("building films documents"). With it, a permanent error of a known
   * service (see {@link classifyError}) is thrown as a PermanentError saying what failed, where
   * and the fix, with the original error as its cause.
   */
  readonly what?: string;
  /** Where in the pipeline ("documents.films of pipeline.yml"), for the PermanentError. */
  readonly where?: string;
  /** Aborting stops the retries: the last error is thrown. */
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Runs `operation` until it resolves, retrying retriable failures with backoff. Throws the last
 * error once the policy is exhausted (attempts and time count from the first failure of a
 * streak), the error is not retriable (bail-out: a permanent error of a known service becomes a
 * PermanentError when `what` is given), or `signal` aborts. A long-running operation calls
 * `progress()` when it did useful work: the next failure starts a new streak.
 */
export async function retry<T>(operation: (attempt: number, progress: () => void) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  let failures = 0;
  let streakStarted = 0;
  const progress = (): void => {
    failures = 0;
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt, progress);
    } catch (error) {
      if (failures === 0) streakStarted = now();
      failures += 1;
      const decision = nextRetry(policy, error, failures, now() - streakStarted, options.shouldRetry);
      if (!decision.retry || options.signal?.aborted === true) {
        if (options.signal?.aborted !== true) notifyObservers('gaveUp', error);
        throw explainPermanent(error, options);
      }
      notifyObservers('retried', error);
      options.onRetry?.(error, failures, decision.delayMs);
      await sleep(decision.delayMs, options.signal);
    }
  }
}

/**
 * The error to throw when giving up: a permanent error of a known service (see classifyError)
 * becomes a PermanentError saying `what` failed, `where`, and the fix, with the error as its
 * cause; anything else (and anything without `what`) is returned as it is.
 */
export function explainPermanent(error: unknown, options: Pick<RetryOptions, 'what' | 'where'>): unknown {
  if (options.what === undefined || error instanceof PermanentError || error instanceof ConfigurationError) return error;
  const verdict = classifyError(error);
  if (verdict.kind !== 'permanent' || verdict.fix === undefined) return error;
  const code = verdict.code === undefined ? '' : ` ${verdict.code}`;
  return new PermanentError(`${options.what} failed: ${verdict.service ?? 'service'}${code}: ${verdict.reason}`, verdict.fix, {
    cause: error,
    ...(options.where === undefined ? {} : { where: options.where }),
    context: { service: verdict.service, code: verdict.code },
  });
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

/** What a {@link RetryObserver} is told: a failure that will be retried, or the one retry gave up on. */
export type RetryEvent = 'retried' | 'gaveUp';

/** Sees every failure that {@link retry} handles, in every component (metrics, the status page). */
export type RetryObserver = (event: RetryEvent, error: unknown) => void;

const observers = new Set<RetryObserver>();

/** Adds an observer of every retry in this process; the returned function removes it. */
export function observeRetries(observer: RetryObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

function notifyObservers(event: RetryEvent, error: unknown): void {
  for (const observer of observers) {
    try {
      observer(event, error);
    } catch {
      // an observer never changes what retry does
    }
  }
}
