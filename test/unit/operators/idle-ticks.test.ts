import { describe, it } from 'vitest';
import { IDLE_TICK } from '../../../src/operators/capture-batch.js';
import { withIdleTicks } from '../../../src/operators/idle-ticks.js';
import type { ChangeBatch } from '../../../src/sources/source.js';
import { rows } from './capture-marbles.js';
import { scheduler } from './marbles.js';

describe('withIdleTicks', () => {
  it('passes each batch as one notification and adds a tick every period, also after the source went quiet', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = rows(1, 2, 3);
      const b = rows(4);
      const batches$ = cold<ChangeBatch<number>>('-a-b', { a, b });
      expectObservable(batches$.pipe(withIdleTicks(4)), '^---------!').toBe('-a-bt---t-', { a, b, t: IDLE_TICK });
    });
  });

  it('passes an error of the source through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const lost = new Error('binlog purged');
      expectObservable(cold<ChangeBatch<number>>('a-#', { a: rows(1) }, lost).pipe(withIdleTicks(2))).toBe('a-#', { a: rows(1) }, lost);
    });
  });
});
