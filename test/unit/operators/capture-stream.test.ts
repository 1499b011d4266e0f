import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { OutgoingChange } from '../../../src/model/outgoing-change.js';
import { batchItems, type CaptureBatch, type StreamBatch } from '../../../src/operators/capture-batch.js';
import { captureStream, type CaptureStages } from '../../../src/operators/capture-stream.js';
import { PendingEvents } from '../../../src/operators/track-pending.js';
import type { ChangeBatch } from '../../../src/sources/source.js';
import { outgoing, rows, settleLater, VirtualLedger, type TestSave } from './capture-marbles.js';
import { scheduler } from './marbles.js';

const name = (batch: StreamBatch<number>): string => ('tick' in batch ? 'tick' : batch.items.map((item) => item.position).join(','));

interface Harness {
  readonly stages: CaptureStages<number, TestSave>;
  readonly ledger: VirtualLedger;
  /** `batch:carried position@frame` of every send. */
  readonly sent: string[];
  readonly flow: string[];
}

/** The stages over a virtual Kafka: a send takes `sendFrames` (failing for the batches in `failing`). */
function harness(testScheduler: TestScheduler, options: { sendFrames: number; limit?: number; idleTickMs?: number; until?: string; failing?: string[]; tickChanges?: OutgoingChange[] }, cold: (marbles: string) => unknown): Harness {
  const ledger = new VirtualLedger(testScheduler);
  const sent: string[] = [];
  const flow: string[] = [];
  const pending = new PendingEvents(options.limit ?? 100, {
    flow: () => ({ pause: () => flow.push(`pause@${testScheduler.now()}`), resume: () => flow.push(`resume@${testScheduler.now()}`) }),
  });
  const stages: CaptureStages<number, TestSave> = {
    changesOf: (batch) => [('tick' in batch ? (options.tickChanges ?? []) : batchItems(batch).map((item) => outgoing(String(item.position))))],
    send: (batch: CaptureBatch<StreamBatch<number>, TestSave>) => {
      sent.push(`${name(batch.origin)}:${batch.positionSave?.position ?? '-'}@${testScheduler.now()}`);
      return settleLater(testScheduler, options.sendFrames, () => ((options.failing ?? []).includes(name(batch.origin)) ? new Error('Kafka refused the batch') : undefined));
    },
    positions: ledger,
    pending,
    idleTickMs: options.idleTickMs ?? 1000,
    onSaveFailed: () => undefined,
    until: cold(options.until ?? '-') as CaptureStages<number, TestSave>['until'],
  };
  return { stages, ledger, sent, flow };
}

describe('captureStream', () => {
  it('sends the batches in order, one at a time, each carrying the position Kafka acknowledged before it', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const { stages, ledger, sent } = harness(testScheduler, { sendFrames: 2, until: '---------x' }, cold);
      const batches$ = hot<ChangeBatch<number>>('abc', { a: rows(1, 2), b: rows(3), c: rows(4) });
      expectObservable(batches$.pipe(captureStream(stages))).toBe('--a-b--c-|', {
        a: expect.objectContaining({ origin: rows(1, 2) }) as never,
        b: expect.objectContaining({ origin: rows(3) }) as never,
        c: expect.objectContaining({ origin: rows(4) }) as never,
      });
      testScheduler.flush();
      expect(sent).toEqual(['1,2:-@0', '3:2@2', '4:3@4']);
      // every position is saved once Kafka acknowledged its batch: 2 with b's request, 3 with c's, 4 on its own (nothing queued)
      expect(ledger.saved).toEqual(['2@4', '3@6', '4@7']);
    });
  });

  it('pauses reading above the limit of pending events and resumes at half', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, cold }) => {
      const { stages, flow, sent } = harness(testScheduler, { sendFrames: 3, limit: 2, until: '----------x' }, cold);
      const batches$ = hot<ChangeBatch<number>>('ab---c', { a: rows(1, 2), b: rows(3), c: rows(4) });
      batches$.pipe(captureStream(stages)).subscribe();
      testScheduler.flush();
      // 3 pending at frame 1 (> 2): paused; a acknowledged at 3 leaves 1 (<= 1): resumed
      expect(flow).toEqual(['pause@1', 'resume@3']);
      expect(sent).toEqual(['1,2:-@0', '3:2@3', '4:3@6']);
    });
  });

  it('runs the stages on an idle tick: waiting changes go out and the position is saved when nothing is queued', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, cold }) => {
      const { stages, sent, ledger } = harness(testScheduler, { sendFrames: 1, idleTickMs: 5, until: '-------x', tickChanges: [outgoing('chunk')] }, cold);
      const seen: Array<readonly OutgoingChange[]> = [];
      hot<ChangeBatch<number>>('a', { a: rows(1) }).pipe(captureStream(stages)).subscribe((batch) => seen.push(batch.changes));
      testScheduler.flush();
      expect(sent).toEqual(['1:-@0', 'tick:-@5']);
      expect(ledger.saved).toEqual(['1@2']);
      expect(seen).toEqual([[outgoing('1')], [outgoing('chunk')]]);
    });
  });

  it('stops reading when asked, after the batch in flight is acknowledged and its position saved', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const { stages, sent, ledger } = harness(testScheduler, { sendFrames: 3, until: '-x' }, cold);
      const batches$ = hot<ChangeBatch<number>>('a-b', { a: rows(1), b: rows(2) });
      expectObservable(batches$.pipe(captureStream(stages))).toBe('----(a|)', { a: expect.objectContaining({ origin: rows(1) }) as never });
      testScheduler.flush();
      expect(sent).toEqual(['1:-@0']);
      expect(ledger.saved).toEqual(['1@4']);
    });
  });

  it('errors on a failed send: nothing after it is sent and its position is never saved', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const { stages, sent, ledger } = harness(testScheduler, { sendFrames: 2, failing: ['2'] }, cold);
      const batches$ = hot<ChangeBatch<number>>('abc', { a: rows(1), b: rows(2), c: rows(3) });
      expectObservable(batches$.pipe(captureStream(stages))).toBe('--a-#', { a: expect.objectContaining({ origin: rows(1) }) as never }, new Error('Kafka refused the batch'));
      testScheduler.flush();
      expect(sent).toEqual(['1:-@0', '2:1@2']);
      expect(ledger.saved).toEqual([]);
    });
  });
});
