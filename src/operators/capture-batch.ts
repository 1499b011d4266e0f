import type { OutgoingChange } from '../model/outgoing-change.js';
import type { ChangeBatch, SourceItem } from '../sources/source.js';

/** A beat of the idle timer: no rows, but waiting incremental-snapshot chunks and the position may go out. */
export interface IdleTick {
  readonly tick: true;
}

/** The one idle tick value. */
export const IDLE_TICK: IdleTick = { tick: true };

/** What the capture's stream stage carries: a batch of the change stream, or an idle tick. */
export type StreamBatch<P> = ChangeBatch<P> | IdleTick;

/** The items of a stream batch (none for an idle tick). */
export function batchItems<P>(batch: StreamBatch<P>): readonly SourceItem<P>[] {
  return 'tick' in batch ? [] : batch.items;
}

/** The save of an acknowledged position that rides along with a produce request (see savePositionAfterAck). */
export interface PositionSave {
  /** Records the save as done: called once Kafka acknowledged the request that carried it. */
  markSaved(): void;
}

/**
 * A batch on its way to Kafka: where it came from (a stream batch, a snapshot page), its change
 * events, and the save of the previous batches' position that rides along in the same request.
 */
export interface CaptureBatch<B, S extends PositionSave = PositionSave> {
  readonly origin: B;
  readonly changes: readonly OutgoingChange[];
  readonly positionSave?: S;
}
