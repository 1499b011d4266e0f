import { catchError, concatMap, defer, map, of, type MonoTypeOperatorFunction } from 'rxjs';
import type { CaptureBatch, PositionSave } from './capture-batch.js';

/** The capture's position bookkeeping, as the position operators use it (src/streams/capture-positions.ts). */
export interface PositionLedger<B, S extends PositionSave> {
  /** The save of the acknowledged position when it was not saved yet (to ride along with the next request), else undefined. */
  unsaved(): S | undefined;
  /** Kafka acknowledged `batch` and, so, every earlier one: its position is the one to save. */
  acknowledge(batch: B): void;
  /** Saves the acknowledged position on its own, now (nothing when it is saved already). */
  save(): Promise<void>;
}

/**
 * Attaches to each batch the save of the position acknowledged so far (the previous batches'),
 * so it rides along in the batch's own produce request: one request saves the position of what
 * Kafka had already acknowledged, never of the batch itself.
 */
export function carryPosition<B, S extends PositionSave>(ledger: Pick<PositionLedger<B, S>, 'unsaved'>): MonoTypeOperatorFunction<CaptureBatch<B, S>> {
  return map((batch) => {
    const positionSave = ledger.unsaved();
    return positionSave === undefined ? batch : { ...batch, positionSave };
  });
}

/** Options of {@link savePositionAfterAck}. */
export interface SavePositionOptions {
  /** True when no batch is queued behind this one: its position is saved at once instead of with the next batch. */
  readonly idle: () => boolean;
  /** A failed save is not fatal: it is reported here and the position rides along with the next batch. */
  readonly onSaveFailed: (error: unknown) => void;
}

/**
 * For each batch Kafka acknowledged (place it after produceBatch): marks the position save it
 * carried as done, records the batch as acknowledged (its position becomes the one to save),
 * and, when nothing is queued behind it, saves that position at once. So a position is saved
 * only after Kafka acknowledged its batch and every earlier one, and a restart re-emits at most
 * the last two batches. A failed save is reported and carried: the next batch's request saves it.
 */
export function savePositionAfterAck<B, S extends PositionSave>(ledger: Pick<PositionLedger<B, S>, 'acknowledge' | 'save'>, options: SavePositionOptions): MonoTypeOperatorFunction<CaptureBatch<B, S>> {
  return concatMap((batch) => {
    batch.positionSave?.markSaved();
    ledger.acknowledge(batch.origin);
    if (!options.idle()) return of(batch);
    return defer(() => ledger.save()).pipe(
      catchError((error: unknown) => {
        options.onSaveFailed(error);
        return of(undefined);
      }),
      map(() => batch),
    );
  });
}
