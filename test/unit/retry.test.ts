import { describe, expect, it } from 'vitest';
import { ConfigurationError, SluiceError } from '../../src/errors.js';
import { backoffDelay, isRetriable, retry } from '../../src/retry.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';

describe('backoffDelay', () => {
  const policy = { ...TEST_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0 };

  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('draws full jitter below the computed delay', () => {
    const jittered = { ...policy, jitter: 1 };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(400);
    expect(backoffDelay(jittered, 3, () => 0.5)).toBe(200);
    expect(backoffDelay(jittered, 3, () => 0.999)).toBe(0);
  });
});

describe('retry', () => {
  const noSleep = (): Promise<void> => Promise.resolve();

  it('retries retriable failures until the operation succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(new SluiceError('busy', { retriable: true })) : Promise.resolve('done');
      },
      { policy: TEST_RETRY_POLICY, sleep: noSleep, onRetry: (_error, _attempt, delay) => delays.push(delay) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(delays).toEqual([5, 10]);
  });

  it('never retries programmer errors or non-retriable errors', async () => {
    for (const error of [new TypeError('bug'), new ConfigurationError('bad key', 'fix it')]) {
      let calls = 0;
      await expect(
        retry(
          () => {
            calls += 1;
            return Promise.reject(error);
          },
          { policy: TEST_RETRY_POLICY, sleep: noSleep },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('throws the last error once the attempts are exhausted', async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls += 1;
          return Promise.reject(new Error(`failure ${calls}`));
        },
        { policy: TEST_RETRY_POLICY, sleep: noSleep },
      ),
    ).rejects.toThrow('failure 5');
    expect(calls).toBe(TEST_RETRY_POLICY.maxAttempts);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      retry(
        () => {
          calls += 1;
          controller.abort();
          return Promise.reject(new Error('down'));
        },
        { policy: TEST_RETRY_POLICY, sleep: noSleep, signal: controller.signal },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });

  it('classifies errors', () => {
    expect(isRetriable(new Error('network'))).toBe(true);
    expect(isRetriable(new RangeError('bug'))).toBe(false);
    expect(isRetriable(new SluiceError('fatal'))).toBe(false);
    expect(isRetriable(new SluiceError('busy', { retriable: true }))).toBe(true);
  });
});
