import { concatMap, of, takeUntil, type Observable, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { OutgoingChange } from '../model/outgoing-change.js';
import type { ChangeBatch } from '../sources/source.js';
import { batchItems, type CaptureBatch, type PositionSave, type StreamBatch } from './capture-batch.js';
import { collectChanges } from './collect-changes.js';
import { withIdleTicks } from './idle-ticks.js';
import { produceBatch } from './produce-batch.js';
import { carryPosition, savePositionAfterAck, type PositionLedger } from './save-position-after-ack.js';
import { releasePending, trackPending, type PendingEvents } from './track-pending.js';

/** The stages of the capture's stream: what {@link captureStream} composes. */
export interface CaptureStages<P, S extends PositionSave> {
  /** The change events of a batch or idle tick (its rows, and the incremental-snapshot rows the stream has reached). */
  readonly changesOf: (batch: StreamBatch<P>) => ObservableInput<readonly OutgoingChange[]>;
  /** Writes a batch to Kafka with the position save it carries (see retryingSend). */
  readonly send: (batch: CaptureBatch<StreamBatch<P>, S>) => PromiseLike<void>;
  /** The position bookkeeping. */
  readonly positions: PositionLedger<StreamBatch<P>, S>;
  /** Events read and not acknowledged yet (backpressure on the source). */
  readonly pending: PendingEvents;
  /** Period of the idle ticks. */
  readonly idleTickMs: number;
  /** A failed save of the position (not fatal: the next batch carries it). */
  readonly onSaveFailed: (error: unknown) => void;
  /** Stops reading when it emits (the capture stopping); the batch in flight is still acknowledged and its position saved. */
  readonly until: ObservableInput<unknown>;
}

/**
 * The capture's stream: the source's batches, with idle ticks, counted in as they are read
 * (`withIdleTicks -> trackPending`, until `stages.until` emits), then one batch at a time through `collectChanges ->
 * carryPosition -> produceBatch -> releasePending -> savePositionAfterAck`. A batch goes through
 * every stage before the next one starts, so the position it acknowledges (and the
 * incremental-snapshot state) is what the next batch carries. Emits each batch once acknowledged
 * (and, when idle, its position saved); a failed send errors the stream.
 */
export function captureStream<P, S extends PositionSave>(stages: CaptureStages<P, S>): OperatorFunction<ChangeBatch<P>, CaptureBatch<StreamBatch<P>, S>> {
  const { pending } = stages;
  return (batches$) =>
    batches$.pipe(
      withIdleTicks<P>(stages.idleTickMs),
      takeUntil(stages.until),
      trackPending(pending, (batch: StreamBatch<P>) => batchItems(batch).length),
      concatMap((batch) => captureBatch(batch, stages)),
    );
}

/** One batch (or idle tick) through the stages, from its rows to its acknowledged, saved position. */
function captureBatch<P, S extends PositionSave>(batch: StreamBatch<P>, stages: CaptureStages<P, S>): Observable<CaptureBatch<StreamBatch<P>, S>> {
  const { pending } = stages;
  return of(batch).pipe(
    collectChanges<StreamBatch<P>, S>(stages.changesOf),
    carryPosition(stages.positions),
    produceBatch(stages.send),
    releasePending(pending, (captured: CaptureBatch<StreamBatch<P>, S>) => batchItems(captured.origin).length),
    savePositionAfterAck(stages.positions, { idle: () => pending.idle, onSaveFailed: stages.onSaveFailed }),
  );
}
