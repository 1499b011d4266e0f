import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TableInfo } from '../../../src/model/table.js';
import { IncrementalSnapshots } from '../../../src/streams/incremental-snapshots.js';

/**
 * Only the parts that need no database: reading a chunk (prepare() of a known table) opens a
 * connection, so takeReached() is tested here only without a pending chunk.
 */

// A test that read a chunk by mistake fails, it does not pass.
const noChunks = {
  readChunk: () => Promise.reject(new Error('no chunk may be read in these tests')),
  reached: (streamed: string, target: string) => streamed >= target,
};

interface Harness {
  readonly snapshots: IncrementalSnapshots<string>;
  readonly looked: string[];
  readonly logs: Array<{ msg: string; table?: string }>;
}

function harness(tableInfo: (name: string) => TableInfo | null = () => null): Harness {
  const looked: string[] = [];
  const logs: Array<{ msg: string; table?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string; table?: string }) });
  const snapshots = new IncrementalSnapshots<string>(noChunks, 100, (name) => {
    looked.push(name);
    return Promise.resolve(tableInfo(name));
  }, logger);
  return { snapshots, looked, logs };
}

describe('IncrementalSnapshots', () => {
  describe('request', () => {
    it('queues tables and returns those added', () => {
      const { snapshots } = harness();
      expect(snapshots.request(['sakila.film', 'sakila.actor'])).toEqual(['sakila.film', 'sakila.actor']);
      expect(snapshots.state()).toEqual({ queue: ['sakila.film', 'sakila.actor'] });
    });

    it('queues a table named twice in one request once', () => {
      const { snapshots } = harness();
      expect(snapshots.request(['sakila.film', 'sakila.film'])).toEqual(['sakila.film']);
      expect(snapshots.state().queue).toEqual(['sakila.film']);
    });

    it('returns only the tables not queued yet, and appends them in request order', () => {
      const { snapshots } = harness();
      snapshots.request(['sakila.film', 'sakila.actor']);
      expect(snapshots.request(['sakila.actor', 'sakila.category', 'sakila.film', 'sakila.language'])).toEqual(['sakila.category', 'sakila.language']);
      expect(snapshots.state().queue).toEqual(['sakila.film', 'sakila.actor', 'sakila.category', 'sakila.language']);
    });

    it('returns nothing when every table is already queued', () => {
      const { snapshots } = harness();
      snapshots.request(['sakila.film']);
      expect(snapshots.request(['sakila.film'])).toEqual([]);
      expect(snapshots.request([])).toEqual([]);
      expect(snapshots.state().queue).toEqual(['sakila.film']);
    });

    it('does not queue again a table of a restored state', () => {
      const { snapshots } = harness();
      snapshots.restore({ queue: ['sakila.film'], afterKey: [10] });
      expect(snapshots.request(['sakila.film', 'sakila.actor'])).toEqual(['sakila.actor']);
      expect(snapshots.state()).toEqual({ queue: ['sakila.film', 'sakila.actor'], afterKey: [10] });
    });
  });

  describe('active', () => {
    it('is false with nothing queued and true while tables remain', () => {
      const { snapshots } = harness();
      expect(snapshots.active).toBe(false);
      snapshots.request(['sakila.film']);
      expect(snapshots.active).toBe(true);
      snapshots.restore({ queue: [] });
      expect(snapshots.active).toBe(false);
    });
  });

  describe('state and restore', () => {
    it('starts empty, without a key', () => {
      const { snapshots } = harness();
      expect(snapshots.state()).toEqual({ queue: [] });
      expect('afterKey' in snapshots.state()).toBe(false);
    });

    it('round-trips a state with the key where the first table stands', () => {
      const { snapshots } = harness();
      const saved = { queue: ['sakila.film_actor', 'sakila.film'], afterKey: [1, 23] };
      snapshots.restore(saved);
      expect(snapshots.state()).toEqual(saved);
      expect(snapshots.active).toBe(true);

      const other = harness().snapshots;
      other.restore(snapshots.state());
      expect(other.state()).toEqual(saved);
    });

    it('round-trips a state without a key', () => {
      const { snapshots } = harness();
      snapshots.restore({ queue: ['sakila.film'] });
      expect(snapshots.state()).toEqual({ queue: ['sakila.film'] });
    });

    it('round-trips through JSON, as a saved position does', () => {
      const { snapshots } = harness();
      snapshots.restore({ queue: ['a.t'], afterKey: ['k', 2, null] });
      const reloaded = harness().snapshots;
      reloaded.restore(JSON.parse(JSON.stringify(snapshots.state())) as ReturnType<IncrementalSnapshots<string>['state']>);
      expect(reloaded.state()).toEqual({ queue: ['a.t'], afterKey: ['k', 2, null] });
    });

    it('replaces whatever was queued before', () => {
      const { snapshots } = harness();
      snapshots.request(['a.one', 'a.two']);
      snapshots.restore({ queue: ['b.three'] });
      expect(snapshots.state()).toEqual({ queue: ['b.three'] });
    });

    it('copies: changing a restored or returned state changes nothing inside', () => {
      const { snapshots } = harness();
      const queue = ['a.t'];
      const afterKey: unknown[] = [1];
      snapshots.restore({ queue, afterKey });
      queue.push('a.u');
      afterKey.push(2);
      const state = snapshots.state();
      (state.queue as string[]).push('a.v');
      (state.afterKey as unknown[]).push(3);
      expect(snapshots.state()).toEqual({ queue: ['a.t'], afterKey: [1] });
    });
  });

  describe('prepare without a database', () => {
    it('drops tables that are not captured (or gone), logging each, and ends inactive', async () => {
      const { snapshots, looked, logs } = harness();
      snapshots.request(['sakila.gone', 'sakila.ignored']);
      await snapshots.prepare();
      expect(looked).toEqual(['sakila.gone', 'sakila.ignored']);
      expect(snapshots.active).toBe(false);
      expect(snapshots.state()).toEqual({ queue: [] });
      expect(logs.map((log) => [log.table, log.msg])).toEqual([
        ['sakila.gone', 'incremental snapshot: table not captured or gone; skipped'],
        ['sakila.ignored', 'incremental snapshot: table not captured or gone; skipped'],
      ]);
    });

    it('forgets the key of a dropped table', async () => {
      const { snapshots } = harness();
      snapshots.restore({ queue: ['sakila.gone'], afterKey: [500] });
      await snapshots.prepare();
      expect(snapshots.state()).toEqual({ queue: [] });
    });

    it('does nothing with nothing queued', async () => {
      const { snapshots, looked } = harness();
      await snapshots.prepare();
      expect(looked).toEqual([]);
      expect(snapshots.state()).toEqual({ queue: [] });
    });
  });

  describe('takeReached without a pending chunk', () => {
    it('returns undefined and leaves the state alone', () => {
      const { snapshots } = harness();
      expect(snapshots.takeReached('0-1-42')).toBeUndefined();
      snapshots.restore({ queue: ['sakila.film'], afterKey: [7] });
      expect(snapshots.takeReached('0-1-999999')).toBeUndefined();
      expect(snapshots.takeReached('')).toBeUndefined();
      expect(snapshots.state()).toEqual({ queue: ['sakila.film'], afterKey: [7] });
      expect(snapshots.active).toBe(true);
    });
  });

  describe('with a source that reads chunks', () => {
    it('emits a chunk only once the stream reached its position, then moves past it', async () => {
      const table: TableInfo = { db: 'd', table: 't', columns: [], primaryKey: ['id'] };
      const reads: Array<readonly unknown[] | undefined> = [];
      const source = {
        readChunk: (info: TableInfo, afterKey: readonly unknown[] | undefined) => {
          reads.push(afterKey);
          return Promise.resolve({ table: info, rows: [{ id: 1 }], position: 5, nextKey: afterKey === undefined ? [1] : undefined });
        },
        reached: (streamed: number, target: number) => streamed >= target,
      };
      const snapshots = new IncrementalSnapshots<number>(source, 1, () => Promise.resolve(table), pino({ level: 'silent' }));
      snapshots.request(['d.t']);
      await snapshots.prepare();
      expect(snapshots.takeReached(4)).toBeUndefined();
      expect(snapshots.takeReached(5)?.last).toBe(false);
      expect(snapshots.state()).toEqual({ queue: ['d.t'], afterKey: [1] });
      await snapshots.prepare();
      expect(snapshots.takeReached(6)?.last).toBe(true);
      expect(snapshots.active).toBe(false);
      expect(reads).toEqual([undefined, [1]]);
    });
  });
});
