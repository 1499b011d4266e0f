import { map, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { batchRootIds } from '../../../src/operators/batch-root-ids.js';
import type { RootBatch } from '../../../src/sinks/sink-page.js';
import { descriptor, rootIds, scheduler } from './marbles.js';

const films = descriptor('films');
const actors = descriptor('actors');

/** The ids of each batch, prefixed by its document. */
const shape = (batch: RootBatch): string => `${batch.descriptor.name}:${batch.ids.join(',')}`;

describe('batchRootIds', () => {
  it('emits a batch as soon as it is full and the partial one when the page ends, skipping ids seen before', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ids$ = cold('a-b-c-|', { a: rootIds(films, ['1', '2', '3']), b: rootIds(films, ['3', '4', '5']), c: rootIds(films, ['2', '6']) });
      expectObservable(ids$.pipe(batchRootIds({ size: 2 }), (batches) => batches.pipe(mapShape()))).toBe('a-b-c-|', { a: 'films:1,2', b: 'films:3,4', c: 'films:5,6' });
    });
  });

  it('keeps one batch per document and emits the partial ones in the order their documents first appeared', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ids$ = cold('a-b-|', { a: rootIds(actors, ['7']), b: rootIds(films, ['7', '8']) });
      expectObservable(ids$.pipe(batchRootIds({ size: 10 }), (batches) => batches.pipe(mapShape()))).toBe('----(ab|)', { a: 'actors:7', b: 'films:7,8' });
    });
  });

  it('attributes each id to the trigger of its first occurrence and tracks every batch it emits', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      let tracked = 0;
      const ids$ = cold('ab|', { a: rootIds(films, ['1'], 10), b: rootIds(films, ['1', '2'], 20) });
      const batches: RootBatch[] = [];
      ids$.pipe(batchRootIds({ size: 5, track: () => () => (tracked += 1) })).subscribe((batch) => batches.push(batch));
      expectObservable(cold('|')).toBe('|');
      flush();
      expect(batches.map((batch) => [...batch.triggers].map(([id, trigger]) => `${id}@${trigger.offset}`))).toEqual([['1@10', '2@20']]);
      batches[0].done();
      expect(tracked).toBe(1);
    });
  });

  it('passes errors through without emitting the partial batches', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ids$ = cold('a-#', { a: rootIds(films, ['1']) }, new Error('lookup failed'));
      expectObservable(ids$.pipe(batchRootIds({ size: 5 }))).toBe('--#', undefined, new Error('lookup failed'));
    });
  });

  it('forgets nothing below maxDistinctIds and may repeat ids beyond it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ids$ = cold('a|', { a: rootIds(films, ['1', '2', '3', '3', '1']) });
      expectObservable(ids$.pipe(batchRootIds({ size: 10, maxDistinctIds: 2 }), (batches) => batches.pipe(mapShape()))).toBe('-(a|)', { a: 'films:1,2,3,3' });
    });
  });
});

function mapShape(): (batches: Observable<RootBatch>) => Observable<string> {
  return (batches) => batches.pipe(map(shape));
}
