import { firstValueFrom, scan, filter as where, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TableInfo } from '../../src/model/table.js';
import type { CdcSource, SourceChange, SourceItem } from '../../src/sources/source.js';
import type { Cleanup } from '../helpers/services.js';

/** One row change of the contract's table `items (id INT PRIMARY KEY, v INT)`. */
export type ContractChange = { readonly op: 'insert' | 'update'; readonly id: number; readonly v: number } | { readonly op: 'delete'; readonly id: number };

/** What a source under test gives the suite: a fresh database with the table, sources over it, and writes. */
export interface SourceUnderTest<P> {
  /** The database (namespace) holding `items`. */
  readonly db: string;
  /** A new source over it (a new one per call: a restart). The suite opens and closes it. */
  readonly createSource: () => CdcSource<P>;
  /** Applies the changes in one transaction. */
  readonly execute: (changes: readonly ContractChange[]) => Promise<void>;
}

/** Makes a {@link SourceUnderTest} for one test; resources go to `cleanup`. */
export type SourceHarness<P> = (cleanup: Cleanup) => Promise<SourceUnderTest<P>>;

/** Ids from here on are sentinels: each read ends at a new one. */
const SENTINELS = 900_000;
let lastSentinel = SENTINELS;
const STREAM = { maxItems: 100, maxDelayMs: 20, onFlowControl: () => undefined };

/**
 * The suite every CDC source passes: snapshot then stream with no gap or double, order per key,
 * deletes with their before image, restart from a saved position, positions that survive their
 * JSON form. Call it from an integration test file with a harness over the real system.
 */
export function describeSourceContract<P>(name: string, harness: SourceHarness<P>, cleanup: Cleanup): void {
  /** Opens a source; closes it with the test. */
  async function open(under: SourceUnderTest<P>): Promise<{ source: CdcSource<P>; table: TableInfo }> {
    const source = under.createSource();
    await source.open();
    cleanup.add(() => source.close());
    const table = (await source.readCatalog()).get(`${under.db}.items`);
    if (table === undefined) throw new Error(`the catalog has no ${under.db}.items`);
    return { source, table };
  }

  /** The items streamed from `from` up to the sentinel insert (which the function writes after `act`). */
  async function streamUntilSentinel(under: SourceUnderTest<P>, source: CdcSource<P>, from: P, act: () => Promise<void> = () => Promise.resolve()): Promise<Array<SourceItem<P>>> {
    lastSentinel += 1;
    const sentinel = lastSentinel;
    const collected = firstValueFrom(
      source.changes(from, STREAM).pipe(
        scan((items: Array<SourceItem<P>>, batch) => [...items, ...batch.items], []),
        where((items) => items.some((item) => item.kind === 'change' && idOf(item) === sentinel)),
        timeout({ first: 60_000 }),
      ),
    );
    await act();
    await under.execute([{ op: 'insert', id: sentinel, v: 0 }]);
    const items = await collected;
    return items.slice(0, items.findIndex((item) => item.kind === 'change' && idOf(item) === sentinel));
  }

  describe(`source contract: ${name}`, () => {
    it('snapshots, then streams from the snapshot position with no gap and no double', async () => {
      const under = await harness(cleanup);
      await under.execute([1, 2, 3, 4, 5].map((id) => ({ op: 'insert', id, v: id })));
      const { source, table } = await open(under);
      expect(table.primaryKey).toEqual(['id']);
      const snapshot = await source.snapshot([table], 2);
      const read: number[] = [];
      try {
        for await (const page of snapshot.pages()) read.push(...page.rows.map((row) => Number(row.id)));
      } finally {
        await snapshot.close();
      }
      expect(read).toEqual([1, 2, 3, 4, 5]);
      const items = await streamUntilSentinel(under, source, snapshot.position, async () => {
        await under.execute([{ op: 'insert', id: 6, v: 6 }]);
        await under.execute([{ op: 'update', id: 1, v: 10 }]);
        await under.execute([{ op: 'delete', id: 2 }]);
      });
      expect(changesOf(items).map((change) => [change.event.op, idOf(change)])).toEqual([
        ['c', 6],
        ['u', 1],
        ['d', 2],
      ]);
    });

    it('delivers the changes of one key in commit order', async () => {
      const under = await harness(cleanup);
      await under.execute([{ op: 'insert', id: 1, v: 0 }]);
      const { source } = await open(under);
      const start = await source.currentPosition();
      const values = Array.from({ length: 20 }, (_, index) => index + 1);
      const items = await streamUntilSentinel(under, source, start, async () => {
        for (const v of values) await under.execute([{ op: 'update', id: 1, v }]);
      });
      expect(changesOf(items).map((change) => Number(change.event.after?.v))).toEqual(values);
    });

    it('delivers a delete with the before image of the row', async () => {
      const under = await harness(cleanup);
      await under.execute([{ op: 'insert', id: 3, v: 33 }]);
      const { source } = await open(under);
      const items = await streamUntilSentinel(under, source, await source.currentPosition(), () => under.execute([{ op: 'delete', id: 3 }]));
      const [deleted] = changesOf(items);
      expect(deleted?.event.op).toBe('d');
      expect(deleted?.event.after).toBeNull();
      expect(Number(deleted?.event.before?.id)).toBe(3);
      expect(Number(deleted?.event.before?.v)).toBe(33);
    });

    it('restarts from a saved position: exactly the changes after it, in a new source', async () => {
      const under = await harness(cleanup);
      const { source } = await open(under);
      const start = await source.currentPosition();
      const items = await streamUntilSentinel(under, source, start, async () => {
        for (const id of [10, 11, 12, 13]) await under.execute([{ op: 'insert', id, v: id }]);
      });
      const acked = changesOf(items).find((change) => idOf(change) === 11);
      if (acked === undefined) throw new Error('id 11 was not streamed');
      const saved = JSON.parse(JSON.stringify(source.encodePosition(acked.position))) as Record<string, unknown>;
      const { source: restarted } = await open(under);
      const again = await streamUntilSentinel(under, restarted, restarted.decodePosition(saved));
      // the first sentinel was written after 13: it is streamed again, before the second one ends the read
      expect(changesOf(again).map(idOf)).toEqual([12, 13]);
    });

    it('keeps every position it emits through its JSON form', async () => {
      const under = await harness(cleanup);
      const { source } = await open(under);
      const start = await source.currentPosition();
      const items = await streamUntilSentinel(under, source, start, async () => {
        await under.execute([
          { op: 'insert', id: 1, v: 1 },
          { op: 'insert', id: 2, v: 2 },
        ]);
      });
      expect(items.length).toBeGreaterThan(0);
      for (const position of [start, ...items.map((item) => item.position)]) {
        const decoded = source.decodePosition(JSON.parse(JSON.stringify(source.encodePosition(position))) as Record<string, unknown>);
        expect(decoded).toEqual(position);
        expect(source.reached(decoded, position)).toBe(true);
      }
      const last = items[items.length - 1];
      if (last !== undefined) expect(source.reached(start, last.position)).toBe(false);
    });
  });
}

function changesOf<P>(items: ReadonlyArray<SourceItem<P>>): Array<SourceChange<P>> {
  return items.filter((item): item is SourceChange<P> => item.kind === 'change' && !(idOf(item) > SENTINELS));
}

function idOf<P>(item: SourceItem<P>): number {
  if (item.kind !== 'change') return Number.NaN;
  return Number((item.event.after ?? item.event.before)?.id);
}
