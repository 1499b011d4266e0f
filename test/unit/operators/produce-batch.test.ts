import { describe, expect, it } from 'vitest';
import type { OutgoingChange } from '../../../src/model/outgoing-change.js';
import type { CaptureBatch } from '../../../src/operators/capture-batch.js';
import { produceBatch, retryingSend } from '../../../src/operators/produce-batch.js';
import { TEST_RETRY_POLICY } from '../../helpers/retry-timings.js';
import { outgoing, settleLater, type TestSave } from './capture-marbles.js';
import { scheduler } from './marbles.js';

const save = (position: number, saved: number[] = []): TestSave => ({ position, markSaved: () => saved.push(position) });

describe('produceBatch', () => {
  it('sends one batch at a time, in order, and emits each once Kafka acknowledged it', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const sent: string[] = [];
      const send = (batch: CaptureBatch<string, TestSave>): PromiseLike<void> => {
        sent.push(`${batch.origin}@${testScheduler.now()}`);
        return settleLater(testScheduler, batch.origin === 'a' ? 3 : 1, () => undefined);
      };
      const a: CaptureBatch<string, TestSave> = { origin: 'a', changes: [outgoing('1')] };
      const b: CaptureBatch<string, TestSave> = { origin: 'b', changes: [outgoing('2')], positionSave: save(1) };
      expectObservable(hot('ab|', { a, b }).pipe(produceBatch(send))).toBe('---a(b|)', { a, b });
      testScheduler.flush();
      // b is sent only once a is acknowledged, though it arrived while a was in flight
      expect(sent).toEqual(['a@0', 'b@3']);
    });
  });

  it('errors when a send fails for good, and sends nothing after it', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const sent: string[] = [];
      const refused = new Error('TOPIC_AUTHORIZATION_FAILED');
      const send = (batch: CaptureBatch<string, TestSave>): PromiseLike<void> => {
        sent.push(batch.origin);
        return settleLater(testScheduler, 2, () => (batch.origin === 'a' ? refused : undefined));
      };
      const batches$ = hot('abc', { a: { origin: 'a', changes: [] }, b: { origin: 'b', changes: [] }, c: { origin: 'c', changes: [] } });
      expectObservable(batches$.pipe(produceBatch(send))).toBe('--#', undefined, refused);
      testScheduler.flush();
      expect(sent).toEqual(['a']);
    });
  });
});

describe('retryingSend', () => {
  const policy = { ...TEST_RETRY_POLICY, initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 3, jitter: 0 };
  const noSleep = (): Promise<void> => Promise.resolve();

  it('retries a transient failure, writing the changes with the position save they carry, and reports the produce once', async () => {
    const writes: Array<{ changes: readonly OutgoingChange[]; position: number | undefined }> = [];
    const retries: number[] = [];
    const produced: number[] = [];
    const send = retryingSend<string, TestSave>(
      (changes, positionSave) => {
        writes.push({ changes, position: positionSave?.position });
        return writes.length === 1 ? Promise.reject(new Error('KafkaJSConnectionError: Connection timeout')) : Promise.resolve();
      },
      { policy, sleep: noSleep, onRetry: (_error, attempt) => retries.push(attempt), onProduced: (events) => produced.push(events.length) },
    );
    await send({ origin: 'a', changes: [outgoing('1'), outgoing('2')], positionSave: save(7) });
    expect(writes).toHaveLength(2);
    expect(writes.map(({ position }) => position)).toEqual([7, 7]);
    expect(retries).toEqual([1]);
    expect(produced).toEqual([2]);
  });

  it('does not report a produce without events (an idle tick carrying a position)', async () => {
    const produced: number[] = [];
    await retryingSend<string, TestSave>(() => Promise.resolve(), { onProduced: (events) => produced.push(events.length) })({ origin: 'tick', changes: [], positionSave: save(1) });
    expect(produced).toEqual([]);
  });

  it('gives up on an error that is not retriable, at once', async () => {
    let attempts = 0;
    const bug = new TypeError('schema is undefined');
    const send = retryingSend<string, TestSave>(
      () => {
        attempts += 1;
        return Promise.reject(bug);
      },
      { policy, sleep: noSleep },
    );
    await expect(send({ origin: 'a', changes: [outgoing('1')] })).rejects.toBe(bug);
    expect(attempts).toBe(1);
  });
});
