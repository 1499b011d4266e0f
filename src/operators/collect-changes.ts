import { concatMap, from, map, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { OutgoingChange } from '../model/outgoing-change.js';
import type { CaptureBatch, PositionSave } from './capture-batch.js';

/**
 * Turns each batch into the change events to send with `changesOf` (one call per batch, never
 * per row: the rows of a stream batch, with the incremental-snapshot rows whose position the
 * stream has reached), one batch at a time and in order. `changesOf` returns a promise or an
 * Observable of the batch's array of changes (one notification per batch).
 */
export function collectChanges<B, S extends PositionSave = PositionSave>(changesOf: (batch: B) => ObservableInput<readonly OutgoingChange[]>): OperatorFunction<B, CaptureBatch<B, S>> {
  return concatMap((origin) => from(changesOf(origin)).pipe(map((changes): CaptureBatch<B, S> => ({ origin, changes }))));
}
