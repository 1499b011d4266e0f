import { interval, map, merge, type OperatorFunction } from 'rxjs';
import type { ChangeBatch } from '../sources/source.js';
import { IDLE_TICK, type StreamBatch } from './capture-batch.js';

/**
 * Adds an idle tick every `periodMs` to the change stream's batches, so the capture's later
 * stages run when the source is quiet: a waiting incremental-snapshot chunk goes out and the
 * acknowledged position is saved without waiting for the next change. The batches pass as they
 * come (one notification per batch); ticks go on until unsubscribed.
 */
export function withIdleTicks<P>(periodMs: number): OperatorFunction<ChangeBatch<P>, StreamBatch<P>> {
  return (batches$) => merge(batches$, interval(periodMs).pipe(map((): StreamBatch<P> => IDLE_TICK)));
}
