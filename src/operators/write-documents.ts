import { catchError, concatMap, defer, finalize, map, mergeMap, Observable, throwError, type OperatorFunction } from 'rxjs';
import { explainPermanent } from '../retry.js';
import type { BuiltBatch, WriteCounts } from '../sinks/sink-page.js';
import type { DocumentWriter, WriteOutcome } from '../sinks/writer.js';

/**
 * Writes each built batch with `writer`: waits for the writer's capacity (backpressure), hands it
 * every operation of the batch, and emits the batch's counts once every operation is settled
 * (acknowledged, superseded, or rejected and dead-lettered). Batches are written concurrently
 * (the writer keeps the operations on one document in order). An operation the writer fails
 * errors the stream; a permanent failure of the engine becomes a PermanentError naming the
 * document. The batch's `done` is called when its writes settled or failed.
 */
export function writeDocuments(writer: Pick<DocumentWriter, 'write' | 'waitForCapacity'>): OperatorFunction<BuiltBatch, WriteCounts> {
  return mergeMap((built) =>
    defer(() => writer.waitForCapacity()).pipe(
      concatMap(() => allOutcomes(built.operations.map((operation) => writer.write(operation)))),
      map((outcomes) => countOutcomes(outcomes, built.indexed)),
      catchError((error: unknown) => {
        const { descriptor } = built.batch;
        return throwError(() => explainPermanent(error, { what: `writing ${descriptor.name} documents to ${descriptor.index}`, where: built.where }));
      }),
      finalize(() => built.batch.done()),
    ),
  );
}

/** The counts of a batch's outcomes; the first `indexed` operations index, the others delete. */
function countOutcomes(outcomes: readonly WriteOutcome[], indexed: number): WriteCounts {
  const counts = { documents: 0, deletes: 0, superseded: 0, rejected: 0 };
  for (const [position, outcome] of outcomes.entries()) {
    if (outcome.status === 'superseded') counts.superseded += 1;
    else if (outcome.status === 'rejected') counts.rejected += 1;
    else if (position < indexed) counts.documents += 1;
    else counts.deletes += 1;
  }
  return counts;
}

/**
 * Every outcome once all are settled, like Promise.all but one notification for the batch; errors
 * with the first rejection (the later ones are observed, never unhandled).
 */
function allOutcomes(outcomes: ReadonlyArray<PromiseLike<WriteOutcome>>): Observable<WriteOutcome[]> {
  return new Observable((subscriber) => {
    const results = new Array<WriteOutcome>(outcomes.length);
    let remaining = outcomes.length;
    if (remaining === 0) {
      subscriber.next(results);
      subscriber.complete();
      return;
    }
    outcomes.forEach((outcome, position) => {
      void outcome.then(
        (value) => {
          results[position] = value;
          remaining -= 1;
          if (remaining > 0) return;
          subscriber.next(results);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
  });
}
