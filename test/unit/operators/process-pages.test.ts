import { EMPTY, map, of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { processPages, type PageOutcome, type PageStages } from '../../../src/operators/process-pages.js';
import { BatchesInFlight, type BuiltBatch, type ConsumedPage, type DecodedPage, type RootBatch, type RootIds } from '../../../src/sinks/sink-page.js';
import type { WriteOutcome } from '../../../src/sinks/writer.js';
import { built, decoded, descriptor, later, page, rootIds, scheduler } from './marbles.js';

const films = descriptor('films');

/** Stages whose expansion yields `ids[page name]` and whose decode, build and writes take the given frames. */
function stages(testScheduler: TestScheduler, options: { ids: Record<string, string[]>; decodeFrames?: number; writeFrames?: number; failDecodeOf?: string }): PageStages {
  return {
    decode: (consumed: ConsumedPage): Observable<DecodedPage> => {
      const name = (consumed as ConsumedPage & { name: string }).name;
      if (name === options.failDecodeOf) throw new Error(`cannot decode ${name}`);
      return testScheduler.createColdObservable<DecodedPage>(`${'-'.repeat(options.decodeFrames ?? 1)}(d|)`, { d: decoded(consumed, 1) });
    },
    expand: (decodedPage: DecodedPage): Observable<RootIds> => {
      const ids = options.ids[(decodedPage.page as ConsumedPage & { name: string }).name] ?? [];
      return ids.length === 0 ? EMPTY : of(rootIds(films, ids));
    },
    build: (batch: RootBatch): Observable<BuiltBatch> => testScheduler.createColdObservable<BuiltBatch>('-(b|)', { b: built(batch, [...batch.ids]) }),
    writer: {
      waitForCapacity: () => later(testScheduler, 0, undefined),
      write: () => later<WriteOutcome>(testScheduler, options.writeFrames ?? 1, { status: 'acknowledged' }),
    },
    buildBatchSize: 2,
    buildConcurrency: 2,
  };
}

/** `name:documents` of a committed page, `name!` of a failed one. */
function summary(outcome: PageOutcome<ConsumedPage>): string {
  const name = (outcome.page as ConsumedPage & { name: string }).name;
  return 'error' in outcome ? `${name}!` : `${name}:${outcome.result.documents}`;
}

/** A promise rejected in virtual time, `frames` after now; what is chained to it never settles. */
function failsAfter(testScheduler: TestScheduler, frames: number, error: Error): Promise<void> {
  const thenable = {
    then(_onFulfilled?: unknown, onRejected?: (reason: unknown) => unknown): Promise<never> {
      testScheduler.schedule(() => onRejected?.(error), frames);
      return new Promise<never>(() => undefined);
    },
  };
  return thenable as unknown as Promise<void>;
}

describe('processPages', () => {
  it('runs the pages of a partition one after the other, committing each after its writes settled', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const commits: string[] = [];
      const a = page('a', 0, commits, () => later(testScheduler, 0, undefined));
      const b = page('b', 0, commits, () => later(testScheduler, 0, undefined));
      const pages$ = hot('ab------|', { a, b });
      // a: decode 1, build 1, write 1 -> committed at 3; b starts then -> committed at 6
      const outcomes$ = pages$.pipe(processPages(stages(testScheduler, { ids: { a: ['1', '2', '3'], b: ['4'] } })), map(summary));
      expectObservable(outcomes$).toBe('---a--b-|', { a: 'a:3', b: 'b:1' });
      testScheduler.flush();
      expect(commits).toEqual(['a', 'b']);
    });
  });

  it('runs partitions concurrently', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const commits: string[] = [];
      const a = page('a', 0, commits, () => later(testScheduler, 0, undefined));
      const b = page('b', 1, commits, () => later(testScheduler, 0, undefined));
      const pages$ = hot('ab----|', { a, b });
      const outcomes$ = pages$.pipe(processPages(stages(testScheduler, { ids: { a: ['1'], b: ['2'] } })), map(summary));
      expectObservable(outcomes$).toBe('---ab-|', { a: 'a:1', b: 'b:1' });
    });
  });

  it('reports a failed page without committing it and goes on with the next page', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const commits: string[] = [];
      const a = page('a', 0, commits, () => later(testScheduler, 0, undefined));
      const b = page('b', 0, commits, () => later(testScheduler, 0, undefined));
      const pages$ = hot('ab-----|', { a, b });
      const outcomes$ = pages$.pipe(processPages(stages(testScheduler, { ids: { b: ['4'] }, failDecodeOf: 'a' })), map(summary));
      expectObservable(outcomes$).toBe('a---b--|', { a: 'a!', b: 'b:1' });
      testScheduler.flush();
      expect(commits).toEqual(['b']);
    });
  });

  it('expands a page only once its changes are visible in the database; a failed visibility check fails the page, uncommitted', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const commits: string[] = [];
      const a = page('a', 0, commits, () => later(testScheduler, 0, undefined));
      const b = page('b', 0, commits, () => later(testScheduler, 0, undefined));
      const c = page('c', 1, commits, () => later(testScheduler, 0, undefined));
      const expandedAt: Record<string, number> = {};
      const base = stages(testScheduler, { ids: { a: ['1'], b: ['2'], c: ['3'] } });
      const held: PageStages = {
        ...base,
        // a waits 3 frames for its changes to become visible; b's check fails; c is visible at once
        visible: (decodedPage) => {
          const name = (decodedPage.page as ConsumedPage & { name: string }).name;
          if (name === 'b') return failsAfter(testScheduler, 1, new Error('the database is not reachable'));
          return later(testScheduler, name === 'a' ? 3 : 0, undefined);
        },
        expand: (decodedPage) => {
          expandedAt[(decodedPage.page as ConsumedPage & { name: string }).name] = testScheduler.now();
          return base.expand(decodedPage);
        },
      };
      const pages$ = hot('a(bc)-----|', { a, b, c });
      // a: decode 1, visible 3, build 1, write 1 -> committed at 6; c (another partition) at 4;
      // b (after a): decode 1, then its check fails at 8
      const outcomes$ = pages$.pipe(processPages(held), map(summary));
      expectObservable(outcomes$).toBe('----c-a-b-|', { a: 'a:1', b: 'b!', c: 'c:1' });
      testScheduler.flush();
      expect(expandedAt).toEqual({ a: 4, c: 2 });
      expect(commits).toEqual(['c', 'a']);
    });
  });

  it('applies backpressure: a slow writer holds the commit, and the page releases its batches in flight once settled', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const commits: string[] = [];
      const inFlight = new BatchesInFlight();
      const pending: number[] = [];
      const begin = inFlight.begin.bind(inFlight);
      let open = 0;
      inFlight.begin = () => {
        open += 1;
        const done = begin();
        let finished = false;
        return () => {
          if (!finished) open -= 1;
          finished = true;
          done();
        };
      };
      const a = page('a', 0, commits, () => later(testScheduler, 0, undefined));
      const pages$ = hot('a--|', { a });
      const slow = { ...stages(testScheduler, { ids: { a: ['1', '2', '3'] }, writeFrames: 10 }), inFlight };
      expectObservable(pages$.pipe(processPages(slow), map(summary))).toBe('------------(a|)', { a: 'a:3' });
      testScheduler.schedule(() => pending.push(open), 5);
      testScheduler.flush();
      // two batches (2 + 1 ids) were being written at frame 5; none is left once the page settled
      expect(pending).toEqual([2]);
      expect(open).toBe(0);
      expect(commits).toEqual(['a']);
    });
  });
});
