import kafkajs from 'kafkajs';
import { defer, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/errors.js';
import { retryWithBackoff } from '../../../src/operators/retry-with-backoff.js';
import { TEST_RETRY_POLICY } from '../../helpers/retry-timings.js';

const policy = { ...TEST_RETRY_POLICY, initialDelayMs: 2, maxDelayMs: 8, multiplier: 2, maxAttempts: 3, jitter: 0 };
const busy = new SluiceError('busy', { retriable: true });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('retryWithBackoff', () => {
  it('resubscribes after retriable errors with growing delays, then gives up after maxAttempts', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', undefined, busy);
      expectObservable(source.pipe(retryWithBackoff(policy))).toBe('------#', undefined, busy);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '--(^!)', '------(^!)']);
    });
  });

  it('passes non-retriable errors through at once', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bug = new TypeError('bug');
      const source = cold('a#', undefined, bug);
      expectObservable(source.pipe(retryWithBackoff(policy))).toBe('a#', undefined, bug);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('passes permanent errors of a service through at once (the shared classification)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const denied = new kafkajs.KafkaJSProtocolError(Object.assign(new Error('Not authorized to access topics: [Topic authorization failed]'), { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false }));
      const source = cold('a#', undefined, denied);
      expectObservable(source.pipe(retryWithBackoff(policy))).toBe('a#', undefined, denied);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('starts the backoff again after a value was received', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a#', undefined, busy);
      expectObservable(source.pipe(retryWithBackoff(policy), take(4))).toBe('a--a--a--(a|)');
    });
  });

  it('continues with the recovered source', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let subscriptions = 0;
      const source = defer(() => (subscriptions++ === 0 ? cold('#', undefined, busy) : cold('b|')));
      expectObservable(source.pipe(retryWithBackoff(policy))).toBe('--b|');
    });
  });
});
