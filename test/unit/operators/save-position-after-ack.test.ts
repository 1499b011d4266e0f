import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CaptureBatch, StreamBatch } from '../../../src/operators/capture-batch.js';
import { carryPosition, savePositionAfterAck } from '../../../src/operators/save-position-after-ack.js';
import { rows, VirtualLedger, type TestSave } from './capture-marbles.js';
import { scheduler } from './marbles.js';

type Batch = CaptureBatch<StreamBatch<number>, TestSave>;
const batch = (...positions: number[]): Batch => ({ origin: rows(...positions), changes: [] });

describe('carryPosition', () => {
  it('attaches the acknowledged position not saved yet, and nothing once it is saved', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const ledger = new VirtualLedger(testScheduler);
      ledger.acknowledge(rows(1, 2));
      const carried: Array<number | undefined> = [];
      const out$ = cold<Batch>('ab|', { a: batch(3), b: batch(4) }).pipe(carryPosition(ledger));
      const seen$ = out$.pipe(
        map((each) => {
          carried.push(each.positionSave?.position);
          each.positionSave?.markSaved();
          return each.origin;
        }),
      );
      expectObservable(seen$).toBe('ab|', { a: rows(3), b: rows(4) });
      testScheduler.flush();
      // a carries position 2 (acknowledged before it); once that is saved, b has nothing to carry
      expect(carried).toEqual([2, undefined]);
      expect(ledger.saved).toEqual(['2@0']);
    });
  });
});

describe('savePositionAfterAck', () => {
  it('marks the carried save done, acknowledges the batch, and saves on its own only when nothing is queued', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = new VirtualLedger(testScheduler);
      const idle = [false, true];
      const batches$ = hot<Batch>('ab', { a: batch(1, 2), b: batch(3) });
      const out$ = batches$.pipe(
        carryPosition(ledger),
        savePositionAfterAck(ledger, { idle: () => idle.shift() ?? true, onSaveFailed: () => undefined }),
      );
      expectObservable(out$).toBe('a-b', { a: batch(1, 2), b: { ...batch(3), positionSave: expect.objectContaining({ position: 2 }) as TestSave } });
      testScheduler.flush();
      // a's position (2) rides along with b; b's (3) is saved on its own since nothing waits behind it
      expect(ledger.saved).toEqual(['2@1', '3@2']);
    });
  });

  it('reports a failed save and goes on; the next batch carries the position', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = new VirtualLedger(testScheduler);
      ledger.failSaves = 1;
      const failures: string[] = [];
      const batches$ = hot<Batch>('a--b', { a: batch(1), b: batch(2) });
      const out$ = batches$.pipe(
        carryPosition(ledger),
        savePositionAfterAck(ledger, { idle: () => true, onSaveFailed: (error) => failures.push(`${(error as Error).message}@${testScheduler.now()}`) }),
      );
      expectObservable(out$).toBe('-a--b', { a: batch(1), b: { ...batch(2), positionSave: expect.objectContaining({ position: 1 }) as TestSave } });
      testScheduler.flush();
      expect(failures).toEqual(['position topic unavailable@1']);
      // position 1 was saved with b's request, then b's own position at once
      expect(ledger.saved).toEqual(['1@3', '2@4']);
    });
  });

  it('passes an error of the batches through without saving', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = new VirtualLedger(testScheduler);
      const failed = new Error('Kafka refused the batch');
      expectObservable(hot<Batch>('#', undefined, failed).pipe(savePositionAfterAck(ledger, { idle: () => true, onSaveFailed: () => undefined }))).toBe('#', undefined, failed);
      testScheduler.flush();
      expect(ledger.saved).toEqual([]);
    });
  });
});
