import { afterEach, describe, expect, it } from 'vitest';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { PartitionedIndex, TooOldError, type PartitionedIndexSpec } from '../../src/sinks/indexes/partitioned-index.js';
import { testEngine } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const DAY = 86_400_000;

/** A clock the test moves. */
function clock(start: string): { now: () => number; set: (iso: string) => void } {
  let at = Date.parse(start);
  return { now: () => at, set: (iso) => (at = Date.parse(iso)) };
}

function partitioned(engine: SearchEngine, spec: Omit<PartitionedIndexSpec, 'name' | 'version' | 'timestampField'>, now: () => number): PartitionedIndex {
  const name = uniqueName('events');
  cleanup.add(async () => {
    for (const found of await engine.listIndexes(`${name}-*`)) await engine.deleteIndex(found.index);
  });
  return new PartitionedIndex(engine, { name, version: 1, timestampField: 'at', settings: { number_of_replicas: 0 }, mappings: { properties: { at: { type: 'date' }, what: { type: 'keyword' } } }, ...spec }, { now });
}

describe('partitioned indexes on OpenSearch', () => {
  it('daily: partitions made on write, windows follow the clock, retention deletes, too-old writes refused, ranges resolve', async () => {
    const engine = testEngine('opensearch', cleanup);
    const time = clock('2026-03-10T12:00:00Z');
    const events = partitioned(engine, { interval: 'daily', maxAgeMs: 30 * DAY, windows: { 'last-7d': 7 * DAY, 'last-1d': DAY } }, time.now);
    const name = events.spec.name;
    const days = ['2026-02-10', '2026-03-01', '2026-03-05', '2026-03-09', '2026-03-10'];
    const result = await events.write(days.map((day, position) => ({ id: String(position), source: { at: `${day}T08:00:00Z`, what: day } })), { refresh: true });
    expect(result.errors).toBe(false);
    expect((await events.partitions()).map((partition) => partition.index)).toEqual(days.map((day) => `${name}-v1-${day.replaceAll('-', '.')}`));
    expect(await engine.count(name)).toBe(5);

    const first = await events.maintain();
    expect(first.deleted).toEqual([]);
    expect(first.windows['last-7d']).toEqual([`${name}-v1-2026.03.05`, `${name}-v1-2026.03.09`, `${name}-v1-2026.03.10`]);
    expect(first.windows['last-1d']).toEqual([`${name}-v1-2026.03.09`, `${name}-v1-2026.03.10`]);
    expect(await engine.count(events.windowAlias('last-7d'))).toBe(3);

    // 20 days later: 2026-02-10 is past maxAge (30 days), the 7-day window holds no old partition
    time.set('2026-03-30T12:00:00Z');
    expect((await events.expired()).map((partition) => partition.index)).toEqual([`${name}-v1-2026.02.10`]);
    const later = await events.maintain();
    expect(later.deleted).toEqual([`${name}-v1-2026.02.10`]);
    expect(later.windows['last-7d']).toEqual([]);
    expect(Object.keys(await engine.getAlias(events.windowAlias('last-7d')))).toEqual([]);
    expect(await engine.indexExists(`${name}-v1-2026.02.10`)).toBe(false);

    const refusal = await events.write([{ source: { at: '2026-02-27T00:00:00Z' } }]).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooOldError);
    expect(await engine.indexExists(`${name}-v1-2026.02.27`)).toBe(false);
    await events.write([{ id: 'new', source: { at: '2026-03-30T10:00:00Z', what: 'today' } }], { refresh: true });
    expect(Object.keys(await engine.getAlias(events.windowAlias('last-1d')))).toEqual([`${name}-v1-2026.03.30`]);

    expect(await events.resolveRange(Date.parse('2026-03-04T00:00:00Z'), Date.parse('2026-03-09T23:00:00Z'))).toEqual([`${name}-v1-2026.03.05`, `${name}-v1-2026.03.09`]);
    expect(await events.resolveRange(Date.parse('2025-01-01T00:00:00Z'), Date.parse('2026-03-30T00:00:00Z'))).toEqual([name]);
  });

  it('monthly: partitions per month, retention by month end, and a mapping applied to the last partitions', async () => {
    const engine = testEngine('opensearch', cleanup);
    const time = clock('2026-05-15T00:00:00Z');
    const events = partitioned(engine, { interval: 'monthly', maxAgeMs: 90 * DAY, windows: { 'last-10d': 10 * DAY } }, time.now);
    const name = events.spec.name;
    await events.write(
      ['2026-02-20', '2026-03-01', '2026-04-30', '2026-05-14'].map((day) => ({ source: { at: `${day}T00:00:00Z`, what: day } })),
      { refresh: true },
    );
    expect((await events.partitions()).map((partition) => partition.index)).toEqual(['2026.02', '2026.03', '2026.04', '2026.05'].map((month) => `${name}-v1-${month}`));
    const report = await events.maintain();
    // February ended 2026-03-01, more than 90 days before 2026-05-15? no: 75 days. Nothing expires yet.
    expect(report.deleted).toEqual([]);
    expect(report.windows['last-10d']).toEqual([`${name}-v1-2026.05`]);
    time.set('2026-06-05T00:00:00Z');
    expect((await events.maintain()).deleted).toEqual([`${name}-v1-2026.02`]);
    expect(await events.resolveRange(Date.parse('2026-03-15T00:00:00Z'), Date.parse('2026-04-02T00:00:00Z'))).toEqual([`${name}-v1-2026.03`, `${name}-v1-2026.04`]);

    const withField = new PartitionedIndex(engine, { ...events.spec, mappings: { properties: { at: { type: 'date' }, what: { type: 'keyword' }, label: { type: 'keyword' } } } }, { now: time.now });
    expect(await withField.applyMapping(2)).toEqual([`${name}-v1-2026.04`, `${name}-v1-2026.05`]);
    expect((await engine.describeIndex(`${name}-v1-2026.05`)).mappings).toMatchObject({ properties: { label: { type: 'keyword' } } });
    expect((await engine.describeIndex(`${name}-v1-2026.03`)).mappings).not.toMatchObject({ properties: { label: { type: 'keyword' } } });
  });
});
