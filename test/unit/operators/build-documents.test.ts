import { describe, it } from 'vitest';
import { buildDocuments } from '../../../src/operators/build-documents.js';
import type { BuiltBatch, RootBatch } from '../../../src/sinks/sink-page.js';
import { batch, built, descriptor, scheduler } from './marbles.js';

const films = descriptor('films');
const b1 = batch(films, ['1']);
const b2 = batch(films, ['2']);
const b3 = batch(films, ['3']);

describe('buildDocuments', () => {
  it('builds at most `concurrency` batches at once and emits them as they are ready', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const batches$ = hot<RootBatch>('abc|', { a: b1, b: b2, c: b3 });
      const builds = { a: cold<BuiltBatch>('----x|', { x: built(b1, ['1']) }), b: cold<BuiltBatch>('-y|', { y: built(b2, ['2']) }), c: cold<BuiltBatch>('z|', { z: built(b3, ['3']) }) };
      const build = (of: RootBatch): typeof builds.a => (of === b1 ? builds.a : of === b2 ? builds.b : builds.c);
      expectObservable(batches$.pipe(buildDocuments(build, { concurrency: 2 }))).toBe('--yzx|', { x: built(b1, ['1']), y: built(b2, ['2']), z: built(b3, ['3']) });
      // the third batch waits for a free slot (the second one's build completes at frame 3)
      expectSubscriptions(builds.c.subscriptions).toBe('---^!');
    });
  });

  it('starts a build only once the writer has capacity (backpressure from the writer)', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const batches$ = hot<RootBatch>('a|', { a: b1 });
      const capacity = cold('---(c|)', { c: undefined });
      const build$ = cold<BuiltBatch>('-x|', { x: built(b1, ['1']) });
      expectObservable(batches$.pipe(buildDocuments(() => build$, { concurrency: 3, waitForCapacity: () => capacity }))).toBe('----x|', { x: built(b1, ['1']) });
      expectSubscriptions(build$.subscriptions).toBe('---^-!');
    });
  });

  it('fails with the first failed build', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const failure = new Error('read pool exhausted');
      const batches$ = hot<RootBatch>('a|', { a: b1 });
      expectObservable(batches$.pipe(buildDocuments(() => cold<BuiltBatch>('--#', undefined, failure), { concurrency: 1 }))).toBe('--#', undefined, failure);
    });
  });
});
