import { concatMap, timer, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { PendingEvents, releasePending, trackPending } from '../../../src/operators/track-pending.js';
import type { ChangeBatch } from '../../../src/sources/source.js';
import { rows } from './capture-marbles.js';
import { scheduler } from './marbles.js';

const size = (batch: ChangeBatch<number>): number => batch.items.length;

describe('trackPending and releasePending', () => {
  it('pause reading above the limit and resume it once at most half are pending', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const flow: string[] = [];
      const counts: number[] = [];
      let pauses = 0;
      const pending = new PendingEvents(4, {
        flow: () => ({ pause: () => flow.push(`pause@${testScheduler.now()}`), resume: () => flow.push(`resume@${testScheduler.now()}`) }),
        onPause: () => (pauses += 1),
        onCount: (count) => counts.push(count),
      });
      const [a, b, c, d] = [rows(1, 2), rows(3, 4), rows(5, 6), rows(7)];
      // Kafka takes 3 frames per batch: the batches read meanwhile wait in line
      const batches$ = hot<ChangeBatch<number>>('abc-------d', { a, b, c, d });
      const acknowledged$ = batches$.pipe(
        trackPending(pending, size),
        concatMap((batch) => timer(3).pipe(map(() => batch))),
        releasePending(pending, size),
      );
      expectObservable(acknowledged$).toBe('---a--b--c---d', { a, b, c, d });
      testScheduler.flush();
      // 6 pending at frame 2 (> 4): paused; 4 after a, 2 after b (<= 2): resumed
      expect(counts).toEqual([2, 4, 6, 1]);
      expect(flow).toEqual(['pause@2', 'resume@6']);
      expect(pauses).toBe(1);
      expect(pending.idle).toBe(true);
    });
  });

  it('does not pause below the limit, and pauses once however far above it', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      let pauses = 0;
      const pending = new PendingEvents(10, { flow: () => undefined, onPause: () => (pauses += 1) });
      const batches$ = hot<ChangeBatch<number>>('ab', { a: rows(1, 2, 3, 4, 5, 6), b: rows(7, 8, 9, 10, 11, 12) });
      expectObservable(batches$.pipe(trackPending(pending, size))).toBe('ab', { a: rows(1, 2, 3, 4, 5, 6), b: rows(7, 8, 9, 10, 11, 12) });
      testScheduler.flush();
      expect(pauses).toBe(1);
      expect(pending.count).toBe(12);
      expect(pending.idle).toBe(false);
    });
  });

  it('passes an error through', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const pending = new PendingEvents(10, { flow: () => undefined });
      const failed = new Error('source failed');
      expectObservable(hot<ChangeBatch<number>>('a#', { a: rows(1) }, failed).pipe(trackPending(pending, size))).toBe('a#', { a: rows(1) }, failed);
    });
  });
});
