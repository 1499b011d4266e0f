import { describe, expect, it } from 'vitest';
import type { OutgoingChange } from '../../../src/model/outgoing-change.js';
import { collectChanges } from '../../../src/operators/collect-changes.js';
import { outgoing, settleLater } from './capture-marbles.js';
import { scheduler } from './marbles.js';

describe('collectChanges', () => {
  it('calls changesOf once per batch, one batch at a time, and keeps the order when a later batch is quicker', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const calls: string[] = [];
      const frames: Record<string, number> = { a: 3, b: 1 };
      const changesOf = (name: string): PromiseLike<OutgoingChange[]> => {
        calls.push(`${name}@${testScheduler.now()}`);
        return settleLater(testScheduler, frames[name], () => [outgoing(`${name}1`), outgoing(`${name}2`)]);
      };
      const batches$ = hot('ab', { a: 'a', b: 'b' });
      expectObservable(batches$.pipe(collectChanges(changesOf))).toBe('---xy', {
        x: { origin: 'a', changes: [outgoing('a1'), outgoing('a2')] },
        y: { origin: 'b', changes: [outgoing('b1'), outgoing('b2')] },
      });
      testScheduler.flush();
      expect(calls).toEqual(['a@0', 'b@3']);
    });
  });

  it('emits a batch without changes (an idle tick) too', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: 'tick' }).pipe(collectChanges(() => [[]]))).toBe('a|', { a: { origin: 'tick', changes: [] } });
    });
  });

  it('errors when the changes of a batch cannot be collected (an incremental chunk that cannot be read)', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const failed = new Error('chunk query failed');
      const changesOf = (name: string): PromiseLike<OutgoingChange[]> => settleLater(testScheduler, 1, () => (name === 'b' ? failed : []));
      expectObservable(hot('ab', { a: 'a', b: 'b' }).pipe(collectChanges(changesOf))).toBe('-x#', { x: { origin: 'a', changes: [] } }, failed);
    });
  });
});
