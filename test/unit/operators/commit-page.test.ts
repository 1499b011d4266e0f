import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { commitPage } from '../../../src/operators/commit-page.js';
import type { WriteCounts } from '../../../src/sinks/sink-page.js';
import { decoded, later, page, scheduler } from './marbles.js';

describe('commitPage', () => {
  it('adds up the counts of a page, reports them, then commits and emits once the commit resolved', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const commits: string[] = [];
      const reported: string[] = [];
      const a = decoded(
        page('a', 0, commits, () => later(testScheduler, 2, undefined)),
        5,
      );
      const counts$ = cold<WriteCounts>('x-y|', { x: { documents: 2, deletes: 0, superseded: 1, rejected: 0 }, y: { documents: 1, deletes: 1, superseded: 0, rejected: 1 } });
      const result = { changes: 5, documents: 3, deletes: 1, superseded: 1, rejected: 1 };
      expectObservable(counts$.pipe(commitPage(a, (_page, counts) => void reported.push(`${commits.length}:${counts.documents}`)))).toBe('-----(c|)', { c: { page: a, result } });
      testScheduler.flush();
      expect(reported).toEqual(['0:3']);
      expect(commits).toEqual(['a']);
    });
  });

  it('waits for a hook that returns a promise (the change log) before committing', async () => {
    const commits: string[] = [];
    const order: string[] = [];
    const a = decoded(page('a', 0, commits));
    const hook = async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`hook done, commits so far: ${commits.length}`);
    };
    const committed = await lastValueFrom(of<WriteCounts>({ documents: 1, deletes: 0, superseded: 0, rejected: 0 }).pipe(commitPage(a, hook)));
    expect(order).toEqual(['hook done, commits so far: 0']);
    expect(commits).toEqual(['a']);
    expect(committed.result.documents).toBe(1);
  });

  it('commits a page that wrote nothing', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const commits: string[] = [];
      const a = decoded(page('a', 0, commits, () => later(testScheduler, 0, undefined)));
      expectObservable(cold<WriteCounts>('--|').pipe(commitPage(a))).toBe('--(c|)', { c: { page: a, result: { changes: 0, documents: 0, deletes: 0, superseded: 0, rejected: 0 } } });
    });
  });

  it('never commits a page whose writes failed', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const commits: string[] = [];
      const failure = new Error('the bulk channel was aborted');
      expectObservable(cold<WriteCounts>('x#', { x: { documents: 1, deletes: 0, superseded: 0, rejected: 0 } }, failure).pipe(commitPage(decoded(page('a', 0, commits))))).toBe('-#', undefined, failure);
      flush();
      expect(commits).toEqual([]);
    });
  });
});
