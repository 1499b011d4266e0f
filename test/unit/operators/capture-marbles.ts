import type { TestScheduler } from 'rxjs/testing';
import type { ChangeEvent } from '../../../src/model/change-event.js';
import type { OutgoingChange } from '../../../src/model/outgoing-change.js';
import { batchItems, type PositionSave, type StreamBatch } from '../../../src/operators/capture-batch.js';
import type { PositionLedger } from '../../../src/operators/save-position-after-ack.js';
import type { ChangeBatch } from '../../../src/sources/source.js';

/**
 * A thenable settled in virtual time, `frames` after now: `effect` runs then (an Error it returns
 * rejects). Its `then` calls back on the scheduler, so operators that take promises run in
 * virtual time.
 */
export function settleLater<T>(scheduler: TestScheduler, frames: number, effect: () => T | Error): PromiseLike<T> {
  const at = scheduler.now() + frames;
  const thenable = {
    then(onFulfilled?: (value: T) => unknown, onRejected?: (reason: unknown) => unknown): unknown {
      scheduler.schedule(() => {
        const value = effect();
        if (value instanceof Error) onRejected?.(value);
        else onFulfilled?.(value);
      }, Math.max(0, at - scheduler.now()));
      // RxJS chains a second then (for unhandled errors): it is never settled, which is harmless here
      return { then: () => undefined };
    },
  };
  return thenable as unknown as PromiseLike<T>;
}

/** A change event of row `id`, as the capture operators see it (they never look inside). */
export function outgoing(id: string): OutgoingChange {
  return { columns: [], primaryKey: ['id'], event: { op: 'c', after: { id } } as unknown as ChangeEvent };
}

/** A stream batch of row changes, one per position. */
export function rows(...positions: number[]): ChangeBatch<number> {
  return { items: positions.map((position) => ({ kind: 'change' as const, columns: [], primaryKey: ['id'], event: { op: 'c', after: { id: String(position) } } as unknown as ChangeEvent, position })) };
}

/** The position a save carries in these tests. */
export interface TestSave extends PositionSave {
  readonly position: number;
}

/**
 * A position ledger in virtual time: the acknowledged position is the last item's of the last
 * acknowledged batch; a save alone takes `saveFrames` and fails while `failSaves` > 0. `saved`
 * lists `position@frame` of every save that completed (alone or carried by a batch).
 */
export class VirtualLedger implements PositionLedger<StreamBatch<number>, TestSave> {
  readonly saved: string[] = [];
  failSaves = 0;
  private acked: number | undefined;
  private lastSaved: number | undefined;

  constructor(
    private readonly scheduler: TestScheduler,
    private readonly saveFrames = 1,
  ) {}

  unsaved(): TestSave | undefined {
    const position = this.acked;
    if (position === undefined || position === this.lastSaved) return undefined;
    return { position, markSaved: () => this.markSaved(position) };
  }

  acknowledge(batch: StreamBatch<number>): void {
    const items = batchItems(batch);
    const last = items[items.length - 1];
    if (last !== undefined) this.acked = last.position;
  }

  save(): Promise<void> {
    const save = this.unsaved();
    if (save === undefined) return settleLater(this.scheduler, 0, () => undefined) as Promise<void>;
    return settleLater(this.scheduler, this.saveFrames, () => {
      if (this.failSaves > 0) {
        this.failSaves -= 1;
        return new Error('position topic unavailable');
      }
      save.markSaved();
      return undefined;
    }) as Promise<void>;
  }

  private markSaved(position: number): void {
    this.lastSaved = position;
    this.saved.push(`${position}@${this.scheduler.now()}`);
  }
}
