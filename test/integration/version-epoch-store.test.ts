import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initialEpoch, VersionClock, VersionEpochChangedError } from '../../src/descriptors/version-clock.js';
import { ElasticsearchVersionEpochStore, VERSION_EPOCH_INDEX } from '../../src/sinks/elasticsearch/version-epoch-store.js';
import { uniqueName } from '../helpers/names.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, testElasticsearch } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const quiet = (): Logger => ({ error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() }) as unknown as Logger;

describe('the version epoch store in Elasticsearch', () => {
  it('creates once and compares and sets on the sequence number and primary term', async () => {
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const pipeline = uniqueName('epochs');
    cleanup.add(() => elasticsearch.delete({ index: VERSION_EPOCH_INDEX, id: pipeline }, { ignore: [404] }));
    const store = new ElasticsearchVersionEpochStore(engine, pipeline);
    expect(await store.read()).toBeUndefined();
    const created = await store.compareAndSet(undefined, initialEpoch(1));
    expect(created?.value.epoch).toBe(0);
    expect(await store.compareAndSet(undefined, initialEpoch(2)), 'a second creation loses').toBeUndefined();
    const raised = await store.compareAndSet(created, { ...initialEpoch(1), reserved: 100 });
    expect(raised?.value.reserved).toBe(100);
    expect(await store.compareAndSet(created, { ...initialEpoch(1), reserved: 50 }), 'a stale revision loses').toBeUndefined();
    expect((await store.read())?.value.reserved).toBe(100);
  });

  it('two sink processes that see the same binlog reset start one epoch', async () => {
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const pipeline = uniqueName('epochs');
    cleanup.add(() => elasticsearch.delete({ index: VERSION_EPOCH_INDEX, id: pipeline }, { ignore: [404] }));
    const first = new VersionClock(new ElasticsearchVersionEpochStore(engine, pipeline), { logger: quiet() });
    const second = new VersionClock(new ElasticsearchVersionEpochStore(engine, pipeline), { logger: quiet() });
    const before = await first.versionOf(await first.ticket(), { file: 'binlog.000009', position: 500 });
    await second.versionOf(await second.ticket(), { file: 'binlog.000009', position: 700 });
    const [one, two] = [await first.ticket(), await second.ticket()];
    const results = await Promise.allSettled([first.versionOf(one, { file: 'binlog.000001', position: 10 }), second.versionOf(two, { file: 'binlog.000001', position: 12 })]);
    expect(results.every((result) => result.status === 'rejected' && result.reason instanceof VersionEpochChangedError)).toBe(true);
    const stored = await new ElasticsearchVersionEpochStore(engine, pipeline).read();
    expect(stored?.value.epoch).toBe(1);
    expect(stored?.value.base).toBeGreaterThan(before);
    const after = await first.versionOf(await first.ticket(), { file: 'binlog.000001', position: 20 });
    expect(after).toBeGreaterThan(before);
    expect(await second.versionOf(await second.ticket(), { file: 'binlog.000001', position: 30 })).toBeGreaterThan(after);
  });
});
