import type { Producer, TopicMessages } from 'kafkajs';
import type { EncodedPosition } from '../model/position.js';
import type { IncrementalSnapshotState } from './incremental-snapshots.js';
import type { PositionStore } from './position-store.js';

/** The position a capture saves in the position topic: the source's encoded position and the runner's fields. */
export type SavedCapturePosition = EncodedPosition & {
  readonly version: 1;
  readonly snapshotCompleted: boolean;
  readonly savedAtMs: number;
  /** Incremental snapshots requested and not finished yet. */
  readonly incremental?: IncrementalSnapshotState;
};

/** A position not saved yet: the message that saves it (to send along with a batch) and how to record it saved. */
export interface UnsavedPosition {
  readonly messages: readonly TopicMessages[];
  /** Records the save as done (called once Kafka acknowledged the message). */
  markSaved(): void;
}

/**
 * A capture's position bookkeeping: the position Kafka acknowledged (with the incremental
 * snapshots still to do) and the one saved last, in the position topic under the source's id.
 * A position is saved only when it differs from the last one saved.
 */
export class CapturePositions {
  private acked: SavedCapturePosition | undefined;
  private ackedIncremental: IncrementalSnapshotState = { queue: [] };
  private lastSavedJson = '';

  constructor(
    private readonly store: PositionStore<SavedCapturePosition>,
    private readonly producer: () => Producer,
    private readonly sourceId: string,
    /** Sees each position once saved (stats). */
    private readonly onSaved: (saved: SavedCapturePosition) => void,
  ) {}

  /** Loads the saved position; its incremental snapshots become the acknowledged ones. */
  async load(): Promise<SavedCapturePosition | undefined> {
    const saved = await this.store.load(this.sourceId);
    if (saved?.incremental !== undefined) this.ackedIncremental = saved.incremental;
    return saved;
  }

  /** Kafka acknowledged everything up to `position` (when given) with incremental snapshots at `incremental` (when given). */
  acknowledge(position: EncodedPosition | undefined, incremental?: IncrementalSnapshotState): void {
    if (position !== undefined) this.acked = { version: 1, snapshotCompleted: true, savedAtMs: 0, ...position };
    if (incremental !== undefined) this.ackedIncremental = incremental;
  }

  /** Adds requested tables to the incremental snapshots to save (the request is saved before it is confirmed). */
  request(tables: readonly string[]): void {
    const { queue } = this.ackedIncremental;
    this.ackedIncremental = { ...this.ackedIncremental, queue: [...queue, ...tables.filter((table) => !queue.includes(table))] };
  }

  /** The acknowledged position when it differs from the last one saved, as a message to send with a batch. */
  unsaved(): UnsavedPosition | undefined {
    const unsaved = this.unsavedPosition();
    if (unsaved === undefined) return undefined;
    const savedAtMs = Date.now();
    return {
      messages: [this.store.message(this.sourceId, { ...unsaved.position, savedAtMs })],
      markSaved: () => this.markSaved(unsaved, savedAtMs),
    };
  }

  /** Saves the acknowledged position on its own (nothing when it is saved already). */
  async save(): Promise<void> {
    const unsaved = this.unsavedPosition();
    if (unsaved === undefined) return;
    const savedAtMs = Date.now();
    await this.store.save(this.producer(), this.sourceId, { ...unsaved.position, savedAtMs });
    this.markSaved(unsaved, savedAtMs);
  }

  private unsavedPosition(): { position: SavedCapturePosition; json: string } | undefined {
    const acked = this.acked;
    if (acked === undefined) return undefined;
    const { incremental: _previous, ...base } = acked;
    const position: SavedCapturePosition = { ...base, ...(this.ackedIncremental.queue.length > 0 ? { incremental: this.ackedIncremental } : {}), savedAtMs: 0 };
    const json = JSON.stringify(position);
    return json === this.lastSavedJson ? undefined : { position, json };
  }

  private markSaved(saved: { position: SavedCapturePosition; json: string }, savedAtMs: number): void {
    this.lastSavedJson = saved.json;
    this.onSaved({ ...saved.position, savedAtMs });
  }
}
