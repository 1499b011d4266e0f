import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, testElasticsearch } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * The Elasticsearch 8 integ-test-zip from Maven Central ships without the lang-painless and
 * reindex modules (see README, "Elasticsearch modules"). The tests that need them run whenever
 * the node has them, and are reported as skipped, never as passed, when it does not.
 */
const capabilities = inject('elasticsearchCapabilities');

async function createIndex(client: Client, index: string): Promise<void> {
  await client.indices.create({ index, mappings: { properties: { title: { type: 'text' }, year: { type: 'integer' }, tag: { type: 'keyword' } } } });
  cleanup.add(() => client.indices.delete({ index, ignore_unavailable: true }));
}

async function indexFilms(client: Client, index: string): Promise<void> {
  await client.bulk({
    refresh: true,
    operations: [
      { index: { _index: index, _id: '1' } },
      { title: 'ACADEMY DINOSAUR', year: 2006, tag: 'old' },
      { index: { _index: index, _id: '2' } },
      { title: 'ACE GOLDFINGER', year: 2007, tag: 'new' },
    ],
  });
}

describe('Elasticsearch node', () => {
  it('is Elasticsearch 8, the client major', () => {
    expect(capabilities.version).toMatch(/^8\./);
  });

  it('makes an indexed document searchable after a refresh', async () => {
    const client = testElasticsearch(cleanup);
    const index = uniqueName('smoke');
    await createIndex(client, index);
    await client.index({ index, id: '1', document: { title: 'ACADEMY DINOSAUR', year: 2006 } });
    await client.indices.refresh({ index });
    const result = await client.search<{ title: string }>({ index, query: { match: { title: 'dinosaur' } } });
    expect(result.hits.hits.map((hit) => [hit._id, hit._source?.title])).toEqual([['1', 'ACADEMY DINOSAUR']]);
  });

  it('keeps _meta on index templates and applies the template to new indexes', async () => {
    const client = testElasticsearch(cleanup);
    const name = uniqueName('tmpl');
    await client.indices.putIndexTemplate({
      name,
      index_patterns: [`${name}-*`],
      _meta: { hash: 'abc123', managed_by: 'sluice' },
      template: { settings: { number_of_replicas: 0 }, mappings: { properties: { sku: { type: 'keyword' } } } },
    });
    cleanup.add(() => client.indices.deleteIndexTemplate({ name }));
    const templates = await client.indices.getIndexTemplate({ name });
    expect(templates.index_templates[0]?.index_template._meta).toEqual({ hash: 'abc123', managed_by: 'sluice' });

    const index = `${name}-2026.11.21`;
    await client.indices.create({ index });
    cleanup.add(() => client.indices.delete({ index, ignore_unavailable: true }));
    const mapping = await client.indices.getMapping({ index });
    expect(mapping[index]?.mappings.properties?.sku).toEqual({ type: 'keyword' });
  });

  it('swaps an alias from one index to another in one atomic request', async () => {
    const client = testElasticsearch(cleanup);
    const alias = uniqueName('films');
    const [oldIndex, newIndex] = [`${alias}-v1`, `${alias}-v2`];
    await createIndex(client, oldIndex);
    await createIndex(client, newIndex);
    await client.indices.putAlias({ index: oldIndex, name: alias });

    const swap = await client.indices.updateAliases({
      actions: [{ remove: { index: oldIndex, alias } }, { add: { index: newIndex, alias, is_write_index: true } }],
    });
    expect(swap.acknowledged).toBe(true);
    const pointsTo = await client.indices.getAlias({ name: alias });
    expect(Object.keys(pointsTo)).toEqual([newIndex]);
    expect(pointsTo[newIndex]?.aliases[alias]?.is_write_index).toBe(true);
  });

  describe.runIf(capabilities.reindex)('with the reindex module', () => {
    it('copies documents with _reindex and removes them with _delete_by_query', async () => {
      const client = testElasticsearch(cleanup);
      const source = uniqueName('src');
      const destination = uniqueName('dst');
      await createIndex(client, source);
      await createIndex(client, destination);
      await indexFilms(client, source);

      const copied = await client.reindex({ source: { index: source, query: { term: { tag: 'new' } } }, dest: { index: destination }, refresh: true });
      expect(copied.created).toBe(1);
      const afterCopy = await client.search({ index: destination });
      expect(afterCopy.hits.hits.map((hit) => hit._id)).toEqual(['2']);

      const deleted = await client.deleteByQuery({ index: source, query: { range: { year: { lt: 2007 } } }, refresh: true });
      expect(deleted.deleted).toBe(1);
      expect((await client.count({ index: source })).count).toBe(1);
    });
  });

  describe.runIf(capabilities.painless)('with the lang-painless module', () => {
    it('runs a stored Painless script in a scripted upsert', async () => {
      const client = testElasticsearch(cleanup);
      const index = uniqueName('painless');
      const scriptId = uniqueName('touch');
      await createIndex(client, index);
      await client.putScript({
        id: scriptId,
        script: { lang: 'painless', source: 'if (ctx._source.hash == params.hash) { ctx.op = "noop" } else { ctx._source.putAll(params.doc) }' },
      });
      cleanup.add(() => client.deleteScript({ id: scriptId }));

      const upsert = (hash: string, title: string) =>
        client.update({ index, id: '1', scripted_upsert: true, upsert: {}, script: { id: scriptId, params: { hash, doc: { hash, title } } }, refresh: true });
      expect((await upsert('h1', 'first')).result).toBe('created');
      expect((await upsert('h1', 'ignored')).result).toBe('noop');
      expect((await upsert('h2', 'second')).result).toBe('updated');
      const stored = await client.get<{ title: string }>({ index, id: '1' });
      expect(stored._source?.title).toBe('second');
    });
  });
});
