import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, SluiceError } from '../../src/errors.js';
import { backoffDelay, isRetriable, nextRetry, retry } from '../../src/retry.js';
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

describe('retry with classified errors', () => {
  const noSleep = (): Promise<void> => Promise.resolve();
  const leaderNotAvailable = (): Error =>
    new kafkajs.KafkaJSProtocolError(Object.assign(new Error('There is no leader for this topic-partition as we are in the middle of a leadership election'), { type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true }));
  const topicDenied = (): Error =>
    new kafkajs.KafkaJSProtocolError(Object.assign(new Error('Not authorized to access topics: [Topic authorization failed]'), { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false }));

  it('retries a transient Kafka error', async () => {
    let calls = 0;
    const result = await retry(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(leaderNotAvailable()) : Promise.resolve('sent');
      },
      { policy: TEST_RETRY_POLICY, sleep: noSleep, what: 'sending' },
    );
    expect(result).toBe('sent');
    expect(calls).toBe(3);
  });

  it('stops at once on a permanent error of a service and explains it with `what`, `where` and the fix', async () => {
    let calls = 0;
    const denied = topicDenied();
    const failure = retry(
      () => {
        calls += 1;
        return Promise.reject(denied);
      },
      { policy: TEST_RETRY_POLICY, sleep: noSleep, what: 'writing change events to Kafka', where: 'topic shop.items' },
    );
    await expect(failure).rejects.toBeInstanceOf(PermanentError);
    const error = (await failure.catch((caught: unknown) => caught)) as PermanentError;
    expect(calls).toBe(1);
    expect(error.message).toBe('writing change events to Kafka failed: kafka TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]');
    expect(error.where).toBe('topic shop.items');
    expect(error.fix).toContain('ACLs');
    expect(error.cause).toBe(denied);
    expect(error.retriable).toBe(false);
  });

  it('throws a permanent error as it is without `what`, and never rewraps a PermanentError', async () => {
    const denied = topicDenied();
    await expect(retry(() => Promise.reject(denied), { policy: TEST_RETRY_POLICY, sleep: noSleep })).rejects.toBe(denied);
    const permanent = new PermanentError('schema gone', 'restore it');
    await expect(retry(() => Promise.reject(permanent), { policy: TEST_RETRY_POLICY, sleep: noSleep, what: 'decoding' })).rejects.toBe(permanent);
  });

  it('counts attempts and time from the first failure of a streak; progress() starts a new streak', async () => {
    const policy = { ...TEST_RETRY_POLICY, maxAttempts: 3, maxElapsedMs: 1_000 };
    let clock = 0;
    let calls = 0;
    const result = await retry(
      (_attempt, progress) => {
        calls += 1;
        // an hour of work before the first failure does not count against maxElapsedMs
        if (calls === 1) clock += 3_600_000;
        if (calls === 3) progress();
        return calls < 5 ? Promise.reject(leaderNotAvailable()) : Promise.resolve('done');
      },
      { policy, sleep: noSleep, now: () => clock },
    );
    expect(result).toBe('done');
    expect(calls).toBe(5);
  });

  it('gives up after maxAttempts failures in a row without progress', async () => {
    const policy = { ...TEST_RETRY_POLICY, maxAttempts: 3 };
    let calls = 0;
    await expect(
      retry(
        () => {
          calls += 1;
          return Promise.reject(leaderNotAvailable());
        },
        { policy, sleep: noSleep },
      ),
    ).rejects.toThrow('leadership election');
    expect(calls).toBe(3);
  });
});

describe('nextRetry', () => {
  const policy = { ...TEST_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, maxAttempts: 4, maxElapsedMs: 10_000, jitter: 0 };

  it('waits with the backoff while the policy allows and the error is retriable', () => {
    expect(nextRetry(policy, new Error('odd'), 1, 0)).toEqual({ retry: true, delayMs: 100 });
    expect(nextRetry(policy, new Error('odd'), 3, 9_999)).toEqual({ retry: true, delayMs: 400 });
  });

  it('stops when the policy is exhausted, the error is not retriable, or shouldRetry refuses', () => {
    expect(nextRetry(policy, new Error('odd'), 4, 0)).toEqual({ retry: false });
    expect(nextRetry(policy, new Error('odd'), 1, 10_000)).toEqual({ retry: false });
    expect(nextRetry(policy, new TypeError('bug'), 1, 0)).toEqual({ retry: false });
    expect(nextRetry(policy, new ConfigurationError('bad', 'fix'), 1, 0)).toEqual({ retry: false });
    expect(nextRetry(policy, new Error('odd'), 1, 0, () => false)).toEqual({ retry: false });
  });
});
