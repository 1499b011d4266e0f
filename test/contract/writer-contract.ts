import { describe, expect, it } from 'vitest';
import type { TriggerReference } from '../../src/sinks/dead-letters.js';
import type { DocumentOperation, DocumentWriter, ReferenceLookup, WriteOutcome } from '../../src/sinks/writer.js';
import type { Cleanup } from '../helpers/services.js';

/**
 * What a writer under test gives the suite: a fresh store location (`index`) whose documents are
 * `{ name: keyword, count: integer, _sluice.refs: keyword }` with strict mappings (a `count` that is
 * not a number is refused for good), the writer, its reference lookup, what its dead letter
 * stored, and a way to read a document back.
 */
export interface WriterUnderTest {
  readonly index: string;
  readonly writer: DocumentWriter;
  /** Pages of at most 2 ids, so paging is exercised. */
  readonly lookupReferences: ReferenceLookup;
  /** Every operation the writer dead-lettered, with its reason, in order. */
  readonly deadLetters: ReadonlyArray<{ readonly operation: DocumentOperation; readonly reason: string }>;
  /** The stored document, or undefined when there is none. */
  readonly read: (id: string) => Promise<Record<string, unknown> | undefined>;
}

/** Makes a {@link WriterUnderTest} for one test; resources go to `cleanup` (the suite closes the writer). */
export type WriterHarness = (cleanup: Cleanup) => Promise<WriterUnderTest>;

const TRIGGER: TriggerReference = { topic: 'contract.db.items', partition: 1, offset: '42', table: 'db.items', op: 'u', key: '{"id":3}' };

/**
 * The suite every DocumentWriter passes: index and delete with per-operation outcomes, external
 * versions (an older version is superseded, never applied), operations on one document applied in
 * the order written, permanent refusals rejected with a reason after the dead letter stored them
 * (with their trigger), reference lookups that see every write, flush and close. Call it from an
 * integration test file with a harness over the real store.
 */
export function describeWriterContract(name: string, harness: WriterHarness, cleanup: Cleanup): void {
  async function open(): Promise<WriterUnderTest> {
    const under = await harness(cleanup);
    cleanup.add(() => under.writer.close());
    return under;
  }

  const index = (under: WriterUnderTest, id: string, document: Record<string, unknown>, version?: number): DocumentOperation => ({
    kind: 'index',
    index: under.index,
    id,
    document,
    ...(version === undefined ? {} : { version }),
  });
  const remove = (under: WriterUnderTest, id: string, version?: number): DocumentOperation => ({ kind: 'delete', index: under.index, id, ...(version === undefined ? {} : { version }) });

  describe(`writer contract: ${name}`, () => {
    it('indexes and deletes documents, each write acknowledged (a delete of a missing document too)', async () => {
      const under = await open();
      await under.writer.waitForCapacity();
      const outcomes = await Promise.all([under.writer.write(index(under, '1', { name: 'one', count: 1 })), under.writer.write(index(under, '2', { name: 'two', count: 2 }))]);
      expect(outcomes).toEqual<WriteOutcome[]>([{ status: 'acknowledged' }, { status: 'acknowledged' }]);
      expect(await under.read('1')).toMatchObject({ name: 'one', count: 1 });
      expect(await under.writer.write(remove(under, '1'))).toEqual({ status: 'acknowledged' });
      expect(await under.writer.write(remove(under, 'never-written'))).toEqual({ status: 'acknowledged' });
      expect(await under.read('1')).toBeUndefined();
      expect(await under.read('2')).toMatchObject({ name: 'two' });
    });

    it('applies a version only when no newer one is stored: an older write or delete is superseded', async () => {
      const under = await open();
      expect(await under.writer.write(index(under, '1', { name: 'v5', count: 5 }, 5))).toEqual({ status: 'acknowledged' });
      expect(await under.writer.write(index(under, '1', { name: 'v3', count: 3 }, 3))).toEqual({ status: 'superseded' });
      // the same version again is applied (a rebuild of the same snapshot)
      expect(await under.writer.write(index(under, '1', { name: 'v5 again', count: 5 }, 5))).toEqual({ status: 'acknowledged' });
      expect(await under.writer.write(remove(under, '1', 4))).toEqual({ status: 'superseded' });
      expect(await under.read('1')).toMatchObject({ name: 'v5 again' });
      expect(await under.writer.write(remove(under, '1', 6))).toEqual({ status: 'acknowledged' });
      expect(await under.read('1')).toBeUndefined();
      // the delete's version is remembered: an older index after it is superseded
      expect(await under.writer.write(index(under, '1', { name: 'stale', count: 1 }, 5))).toEqual({ status: 'superseded' });
      expect(await under.read('1')).toBeUndefined();
    });

    it('applies the writes of one document in the order they were written', async () => {
      const under = await open();
      const writes = [
        under.writer.write(index(under, '7', { name: 'first', count: 1 })),
        under.writer.write(remove(under, '7')),
        under.writer.write(index(under, '7', { name: 'last', count: 3 })),
      ];
      expect(await Promise.all(writes)).toEqual([{ status: 'acknowledged' }, { status: 'acknowledged' }, { status: 'acknowledged' }]);
      expect(await under.read('7')).toMatchObject({ name: 'last' });
    });

    it('rejects a document refused for good with the reason, after its dead letter (which names the trigger) was stored, and goes on', async () => {
      const under = await open();
      const refused: DocumentOperation = { ...index(under, 'bad', { name: 'bad', count: 'not a number' }), trigger: TRIGGER };
      const [bad, good] = await Promise.all([under.writer.write(refused), under.writer.write(index(under, 'good', { name: 'good', count: 1 }))]);
      expect(bad.status).toBe('rejected');
      if (bad.status !== 'rejected') return;
      expect(bad.reason).not.toBe('');
      expect(bad.httpStatus).toBeGreaterThanOrEqual(400);
      expect(good).toEqual({ status: 'acknowledged' });
      expect(under.deadLetters).toHaveLength(1);
      expect(under.deadLetters[0].operation).toMatchObject({ id: 'bad', trigger: TRIGGER });
      expect(under.deadLetters[0].reason).toBe(bad.reason);
      expect(await under.read('bad')).toBeUndefined();
    });

    it('finds, page by page, every document that embedded a reference once the writes are flushed', async () => {
      const under = await open();
      const refs = (id: number): Record<string, unknown> => ({ name: `film ${id}`, count: id, _sluice: { id: String(id), refs: id % 2 === 0 ? ['db.language:1', `db.film:${id}`] : [`db.film:${id}`] } });
      await Promise.all([1, 2, 3, 4, 5, 6].map((id) => under.writer.write(index(under, String(id), refs(id)))));
      await under.writer.flush();
      const pages: string[][] = [];
      for await (const ids of under.lookupReferences(under.index, ['db.language:1', 'db.film:5'])) pages.push(ids);
      expect(pages.every((page) => page.length <= 2)).toBe(true);
      expect(pages.flat().sort()).toEqual(['2', '4', '5', '6']);
      const none: string[] = [];
      for await (const ids of under.lookupReferences(under.index, ['db.language:9'])) none.push(...ids);
      expect(none).toEqual([]);
    });

    it('flushes: resolves once every write so far has settled; after close it refuses writes', async () => {
      const under = await open();
      const settled: string[] = [];
      for (const id of ['1', '2', '3']) void under.writer.write(index(under, id, { name: id, count: Number(id) })).then(() => settled.push(id));
      await under.writer.flush();
      // the outcomes' callbacks run right after flush resolves
      await Promise.resolve();
      expect(settled.sort()).toEqual(['1', '2', '3']);
      await under.writer.close();
      expect(() => under.writer.write(index(under, '4', { name: '4', count: 4 }))).toThrow();
    });
  });
}
