import type { RetryPolicy } from '../../src/retry.js';

/** Short retry timings for tests: failures surface in well under a second instead of minutes. */
export const TEST_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 5,
  maxDelayMs: 20,
  multiplier: 2,
  maxAttempts: 5,
  maxElapsedMs: 2_000,
  jitter: 0,
};
