import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/errors.js';
import { writeDocuments } from '../../../src/operators/write-documents.js';
import type { BuiltBatch } from '../../../src/sinks/sink-page.js';
import type { DocumentOperation, DocumentWriter, WriteOutcome } from '../../../src/sinks/writer.js';
import { batch, built, descriptor, later, scheduler } from './marbles.js';
import type { TestScheduler } from 'rxjs/testing';

const films = descriptor('films');

/** A writer settling each operation after `frames[id]` frames with `outcomes[id]` (acknowledged by default), capacity after `capacityFrames`. */
function virtualWriter(
  testScheduler: TestScheduler,
  options: { frames?: Record<string, number>; outcomes?: Record<string, WriteOutcome | Error>; capacityFrames?: number },
): Pick<DocumentWriter, 'write' | 'waitForCapacity'> & { written: Array<{ id: string; at: number; operation: DocumentOperation }> } {
  const written: Array<{ id: string; at: number; operation: DocumentOperation }> = [];
  return {
    written,
    waitForCapacity: () => later(testScheduler, options.capacityFrames ?? 0, undefined),
    write: (operation) => {
      written.push({ id: operation.id, at: testScheduler.now(), operation });
      return later<WriteOutcome>(testScheduler, options.frames?.[operation.id] ?? 1, options.outcomes?.[operation.id] ?? { status: 'acknowledged' });
    },
  };
}

describe('writeDocuments', () => {
  it('writes every operation of a batch at once and emits its counts when the last one settled', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const one = batch(films, ['1', '2', '3', '4']);
      const writer = virtualWriter(testScheduler, {
        frames: { 1: 1, 2: 4, 3: 2, 4: 3 },
        outcomes: { 2: { status: 'superseded' }, 3: { status: 'rejected', reason: 'mapper_parsing_exception', httpStatus: 400 } },
      });
      const batches$ = hot<BuiltBatch>('-a|', { a: built(one, ['1', '2', '3'], ['4']) });
      expectObservable(batches$.pipe(writeDocuments(writer))).toBe('-----(x|)', { x: { documents: 1, deletes: 1, superseded: 1, rejected: 1 } });
      testScheduler.flush();
      expect(writer.written.map(({ id, at }) => `${id}@${at}`)).toEqual(['1@1', '2@1', '3@1', '4@1']);
      // the trigger travels with the operation (the dead letter of a rejected one names it)
      expect(writer.written[2].operation.trigger?.offset).toBe('3');
    });
  });

  it('waits for the writer capacity before handing it a batch', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const writer = virtualWriter(testScheduler, { capacityFrames: 3 });
      const batches$ = hot<BuiltBatch>('a|', { a: built(batch(films, ['1']), ['1']) });
      expectObservable(batches$.pipe(writeDocuments(writer))).toBe('----(x|)', { x: { documents: 1, deletes: 0, superseded: 0, rejected: 0 } });
      testScheduler.flush();
      expect(writer.written.map(({ at }) => at)).toEqual([3]);
    });
  });

  it('writes batches concurrently and marks each batch done once its writes settled', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const done: string[] = [];
      const slow = batch(films, ['1'], () => done.push(`slow@${testScheduler.now()}`));
      const quick = batch(films, ['2'], () => done.push(`quick@${testScheduler.now()}`));
      const writer = virtualWriter(testScheduler, { frames: { 1: 5, 2: 1 } });
      const batches$ = hot<BuiltBatch>('ab|', { a: built(slow, ['1']), b: built(quick, [], ['2']) });
      expectObservable(batches$.pipe(writeDocuments(writer))).toBe('--y--(x|)', { x: { documents: 1, deletes: 0, superseded: 0, rejected: 0 }, y: { documents: 0, deletes: 1, superseded: 0, rejected: 0 } });
      testScheduler.flush();
      expect(done).toEqual(['quick@2', 'slow@5']);
    });
  });

  it('fails when the writer gives up, naming the document when the engine refused for good', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      let finished = false;
      const denied = Object.assign(new Error('security_exception: action [indices:data/write/bulk] is unauthorized'), { meta: { statusCode: 403 } });
      const writer = virtualWriter(testScheduler, { outcomes: { 1: denied } });
      const batches$ = hot<BuiltBatch>('a|', { a: built(batch(films, ['1'], () => (finished = true)), ['1']) });
      const errors: unknown[] = [];
      batches$.pipe(writeDocuments(writer)).subscribe({ error: (error: unknown) => errors.push(error) });
      expectObservable(hot('--|')).toBe('--|');
      testScheduler.flush();
      expect(errors).toHaveLength(1);
      expect(finished).toBe(true);
      const error = errors[0];
      if (error instanceof PermanentError) expect(error.message).toContain('writing films documents to films');
      else expect(error).toBe(denied);
    });
  });
});
