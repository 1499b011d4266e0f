import { afterEach, describe, expect, inject, it } from 'vitest';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { requireModule, testEngine, testEngines } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * The engine port against each engine of the stack. The Elasticsearch 8 integ-test-zip from
 * Maven Central ships without the lang-painless and reindex modules (see README, "Elasticsearch
 * modules"): the tests that need them pass on the stack's OpenSearch node and are skipped, with
 * the reason printed, on that Elasticsearch.
 */
const allCapabilities = inject('engineCapabilities');

const FILM_MAPPINGS = { properties: { title: { type: 'text' }, year: { type: 'integer' }, tag: { type: 'keyword' }, last_updated: { type: 'date' } } };

async function createIndex(engine: SearchEngine, index: string, mappings: Record<string, unknown> = FILM_MAPPINGS): Promise<void> {
  expect(await engine.createIndex(index, { settings: { number_of_replicas: 0 }, mappings })).toBe('created');
  cleanup.add(() => engine.deleteIndex(index));
}

async function indexFilms(engine: SearchEngine, index: string, count = 2): Promise<void> {
  const lines = Array.from({ length: count }, (_, position) => {
    const id = position + 1;
    return `${JSON.stringify({ index: { _index: index, _id: String(id) } })}\n${JSON.stringify({ title: `FILM ${id}`, year: 2005 + id, tag: id % 2 === 0 ? 'new' : 'old', last_updated: `2026-01-${String(id).padStart(2, '0')}` })}\n`;
  });
  const result = await engine.bulk(lines.join(''), { refresh: true });
  expect(result.errors).toBe(false);
}

describe.each(testEngines())('the engine port on %s', (kind) => {
  const capabilities = allCapabilities[kind];

  it('reports the distribution, its version and its modules', async () => {
    const engine = testEngine(kind, cleanup);
    const read = await engine.capabilities();
    expect(read.engine).toBe(kind);
    expect(read.version).toMatch(kind === 'elasticsearch' ? /^8\./ : /^[23]\./);
    expect(read).toEqual(capabilities);
    if (kind === 'opensearch') expect(read.modules).toEqual(expect.arrayContaining(['lang-painless', 'reindex', 'analysis-common']));
  });

  it('indexes with external versions, refreshes, searches and scans with a point in time', async () => {
    const engine = testEngine(kind, cleanup);
    const index = uniqueName('port');
    await createIndex(engine, index);
    await indexFilms(engine, index, 25);
    const stale = await engine.bulk(`${JSON.stringify({ index: { _index: index, _id: 'v', version: 5, version_type: 'external_gte' } })}\n{"title":"five"}\n${JSON.stringify({ index: { _index: index, _id: 'v', version: 4, version_type: 'external_gte' } })}\n{"title":"four"}\n`);
    expect(stale.items.map((item) => item.status)).toEqual([201, 409]);
    expect(stale.items[1]?.error?.type).toBe('version_conflict_engine_exception');
    await engine.refresh(index);
    const found = await engine.search<{ title: string }>({ index, query: { match: { title: 'five' } } });
    expect(found.hits.map((hit) => [hit._id, hit._source?.title])).toEqual([['v', 'five']]);
    expect(await engine.get(index, 'v')).toMatchObject({ _source: { title: 'five' }, _version: 5 });
    // compare-and-set on a document's sequence number (what the version epoch store relies on)
    const current = await engine.get(index, 'v');
    expect(await engine.putDocument(index, 'v', { title: 'six' }, { ifSeqNo: current!._seq_no, ifPrimaryTerm: current!._primary_term })).not.toBe('conflict');
    expect(await engine.putDocument(index, 'v', { title: 'stale' }, { ifSeqNo: current!._seq_no, ifPrimaryTerm: current!._primary_term })).toBe('conflict');
    expect(await engine.putDocument(index, 'v', { title: 'new' }, { create: true })).toBe('conflict');
    expect((await engine.get<{ title: string }>(index, 'v'))?._source.title).toBe('six');
    expect(await engine.count(index)).toBe(26);

    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of engine.scan(index, { pageSize: 10, query: { exists: { field: 'year' } } })) {
      pages.push(page.length);
      for (const hit of page) ids.add(hit._id);
    }
    expect(pages).toEqual([10, 10, 5]);
    expect(ids.size).toBe(25);
  });

  it('describes an index (mappings and flat index settings) and counts its primaries\' index operations and work', async () => {
    const engine = testEngine(kind, cleanup);
    const index = uniqueName('port');
    await createIndex(engine, index);
    const described = await engine.describeIndex(index);
    expect(described.mappings).toEqual(FILM_MAPPINGS);
    expect(described.settings).toMatchObject({ number_of_replicas: '0' });
    expect(Number(described.settings.number_of_shards)).toBeGreaterThan(0);
    expect(await engine.indexingTotal(index)).toBe(0);
    await indexFilms(engine, index, 3);
    await indexFilms(engine, index, 2);
    expect(await engine.indexingTotal(index)).toBe(5);
    await expect(engine.indexingTotal(uniqueName('missing'))).rejects.toMatchObject({ status: 404 });
    const work = await engine.indexWork(index);
    expect(work.operations).toBe(5);
    for (const milliseconds of [work.indexingMs, work.refreshMs, work.mergeMs]) expect(Number.isInteger(milliseconds) && milliseconds >= 0).toBe(true);
    await expect(engine.indexWork(uniqueName('missing'))).rejects.toMatchObject({ status: 404 });
  });

  it('keeps _meta on index templates and applies the template to new indexes', async () => {
    const engine = testEngine(kind, cleanup);
    const name = uniqueName('tmpl');
    await engine.putIndexTemplate(name, {
      index_patterns: [`${name}-*`],
      _meta: { hash: 'abc123', managed_by: 'sluice' },
      template: { settings: { number_of_replicas: 0 }, mappings: { _meta: { hash: 'abc123' }, properties: { sku: { type: 'keyword' } } } },
    });
    cleanup.add(() => engine.deleteIndexTemplate(name));
    expect((await engine.getIndexTemplate(name))?._meta).toEqual({ hash: 'abc123', managed_by: 'sluice' });
    expect(await engine.getIndexTemplate(`${name}-missing`)).toBeUndefined();

    const index = `${name}-2026.11.21`;
    expect(await engine.createIndex(index, {})).toBe('created');
    cleanup.add(() => engine.deleteIndex(index));
    expect(await engine.getMappingMeta(index)).toEqual({ hash: 'abc123' });
  });

  it('swaps an alias from one index to another in one atomic request', async () => {
    const engine = testEngine(kind, cleanup);
    const alias = uniqueName('films');
    const [oldIndex, newIndex] = [`${alias}-v1`, `${alias}-v2`];
    await createIndex(engine, oldIndex);
    await createIndex(engine, newIndex);
    await engine.updateAliases([{ add: { index: oldIndex, alias } }]);
    expect(await engine.getAlias(alias)).toEqual({ [oldIndex]: { isWriteIndex: false } });
    await engine.updateAliases([{ remove: { index: oldIndex, alias } }, { add: { index: newIndex, alias, is_write_index: true } }]);
    expect(await engine.getAlias(alias)).toEqual({ [newIndex]: { isWriteIndex: true } });
    expect(await engine.createIndex(alias, {})).toBe('exists');
    expect(await engine.getAlias(uniqueName('none'))).toEqual({});
  });

  it('reindexes with a query and a Painless script, synchronously and as a polled task', async (context) => {
    requireModule(context, capabilities, 'reindex');
    requireModule(context, capabilities, 'lang-painless');
    const engine = testEngine(kind, cleanup);
    const [source, copy, task] = [uniqueName('src'), uniqueName('dst'), uniqueName('task')];
    await createIndex(engine, source);
    await createIndex(engine, copy);
    await createIndex(engine, task);
    await indexFilms(engine, source, 20);

    const copied = await engine.reindex({
      source: { index: source, query: { range: { last_updated: { gte: '2026-01-11' } } } },
      dest: { index: copy },
      script: { lang: 'painless', source: "ctx._source.title = ctx._source.title.toLowerCase()" },
      refresh: true,
    });
    expect(copied).toMatchObject({ created: 10, failures: [] });
    expect((await engine.get<{ title: string }>(copy, '11'))?._source.title).toBe('film 11');

    const taskId = await engine.startReindex({ source: { index: source }, dest: { index: task } });
    expect(taskId).toMatch(/^.+:\d+$/);
    const seen: boolean[] = [];
    const result = await engine.waitForTask(taskId, { pollMs: 100, onProgress: (status) => seen.push(status.completed) });
    expect(result.created).toBe(20);
    expect(seen.at(-1)).toBe(true);
    await engine.refresh(task);
    expect(await engine.count(task)).toBe(20);
  });

  it('updates and deletes by query', async (context) => {
    requireModule(context, capabilities, 'reindex');
    requireModule(context, capabilities, 'lang-painless');
    const engine = testEngine(kind, cleanup);
    const index = uniqueName('byquery');
    await createIndex(engine, index);
    await indexFilms(engine, index, 10);
    const updated = await engine.updateByQuery({ index, query: { term: { tag: 'new' } }, script: { source: "ctx._source.tag = 'renamed'" }, refresh: true });
    expect(updated.updated).toBe(5);
    expect(await engine.count(index, { term: { tag: 'renamed' } })).toBe(5);
    const deleted = await engine.deleteByQuery({ index, query: { range: { year: { lt: 2009 } } }, refresh: true });
    expect(deleted.deleted).toBe(3);
    expect(await engine.count(index)).toBe(7);
  });

  it('runs a stored Painless script in a scripted upsert (same hash: noop)', async (context) => {
    requireModule(context, capabilities, 'lang-painless');
    const engine = testEngine(kind, cleanup);
    const index = uniqueName('painless');
    const scriptId = uniqueName('touch');
    await createIndex(engine, index, { properties: { hash: { type: 'keyword' }, title: { type: 'keyword' } } });
    await engine.putStoredScript(scriptId, 'if (ctx._source.hash == params.hash) { ctx.op = "noop" } else { ctx._source.putAll(params.doc) }');
    cleanup.add(() => engine.deleteStoredScript(scriptId));
    expect(await engine.getStoredScript(scriptId)).toContain('ctx.op = "noop"');

    const upsert = async (hash: string, title: string): Promise<string | undefined> => {
      const action = JSON.stringify({ update: { _index: index, _id: '1' } });
      const body = JSON.stringify({ scripted_upsert: true, upsert: {}, script: { id: scriptId, params: { hash, doc: { hash, title } } } });
      const result = await engine.bulk(`${action}\n${body}\n`, { refresh: true });
      expect(result.errors).toBe(false);
      return result.items[0]?.result;
    };
    expect(await upsert('h1', 'first')).toBe('created');
    expect(await upsert('h1', 'ignored')).toBe('noop');
    expect(await upsert('h2', 'second')).toBe('updated');
    expect((await engine.get<{ title: string }>(index, '1'))?._source.title).toBe('second');
  });
});
