import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import type { DocumentDefinition } from '../../src/config/document-definition.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'mysql2/promise';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { VersionClock } from '../../src/descriptors/version-clock.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { ElasticsearchVersionEpochStore } from '../../src/sinks/elasticsearch/version-epoch-store.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { channelNames, type ChannelSpec } from '../../src/sinks/orchestrator/channel.js';
import { runFullSync } from '../../src/sinks/orchestrator/full-sync.js';
import { ensureVersionedIndex, versionedNames } from '../../src/sinks/indexes/versioned-index.js';
import type { SyncReport } from '../../src/sinks/orchestrator/orchestrator.js';
import { testEngine } from '../helpers/engines.js';
import { loadSakilaDescriptor, prepareSakilaPipeline, readIndexDocuments, type SakilaPipeline } from '../helpers/sakila-pipeline.js';
import { diffDocuments, expectedFilmDocuments } from '../helpers/sakila-oracle.js';
import { Cleanup, endpoints } from '../helpers/services.js';
import { runCli } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const logger = pino({ level: 'silent' });

interface Fixture {
  readonly engine: SearchEngine;
  readonly sakila: SakilaPipeline;
  readonly pool: Pool;
  readonly films: DocumentDescriptor;
  readonly sync: (secondary?: ChannelSpec, films?: DocumentDescriptor) => Promise<SyncReport>;
}

/** Sakila in its own database and the films family on OpenSearch; the channels' indexes and templates are removed afterwards. */
async function prepare(): Promise<Fixture> {
  const engine = testEngine('opensearch', cleanup);
  const sakila = await prepareSakilaPipeline(cleanup, engine);
  const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 4);
  cleanup.add(() => pool.end());
  const definitions = (parse(readFileSync(sakila.file, 'utf8')) as { documents: Record<string, DocumentDefinition> }).documents;
  const films = await loadSakilaDescriptor(pool, sakila, definitions.films ?? ({} as DocumentDefinition));
  const versioning = new VersionClock(new ElasticsearchVersionEpochStore(engine, sakila.pipeline), { logger });
  const made = new Set<string>();
  cleanup.add(async () => {
    for (const name of [sakila.filmIndex, `${sakila.filmIndex}-semantic`]) {
      await engine.deleteIndexTemplate(`sluice-${name}`).catch(() => undefined);
    }
    for (const index of made) await engine.deleteIndex(index).catch(() => undefined);
  });
  const sync = async (secondary?: ChannelSpec, family: DocumentDescriptor = films): Promise<SyncReport> => {
    const report = await runFullSync(engine, pool, { descriptor: family, gcDeletes: '1h', pageSize: 300, versioning, logger, ...(secondary === undefined ? {} : { secondary }) });
    made.add(report.indexes.primary);
    if (report.indexes.secondary !== undefined) made.add(report.indexes.secondary);
    return report;
  };
  return { engine, sakila, pool, films, sync };
}

describe('full sync on OpenSearch', () => {
  it('a Sakila full sync run twice: the second writes no changed document, deletes nothing and chooses reindex; deleted rows are swept', async () => {
    const { engine, sakila, sync } = await prepare();
    const first = await sync();
    expect(first).toMatchObject({ strategy: 'multiplex', written: 1000, unchanged: 0, deleted: 0 });
    const expected = await expectedFilmDocuments(sakila.connection, sakila.database);
    expect(diffDocuments(expected, await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);
    expect(Object.keys(await engine.getAlias(channelNames.writeAlias({ name: sakila.filmIndex })))).toEqual([first.indexes.primary]);

    const second = await sync();
    expect(second).toMatchObject({ strategy: 'reindex', written: 0, unchanged: 1000, superseded: 0, deleted: 0 });
    expect(second.indexes.primary).toBe(first.indexes.primary);

    // three films without inventory deleted, one title changed
    const [rows] = await sakila.connection.query('SELECT film_id FROM film WHERE film_id NOT IN (SELECT film_id FROM inventory) ORDER BY film_id LIMIT 3');
    const gone = (rows as Array<{ film_id: number }>).map((row) => row.film_id);
    expect(gone).toHaveLength(3);
    await sakila.connection.query('DELETE FROM film_actor WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film_category WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film WHERE film_id IN (?)', [gone]);
    await sakila.connection.query("UPDATE film SET title = 'A FULL SYNC' WHERE film_id = 1");
    const third = await sync();
    expect(third).toMatchObject({ strategy: 'reindex', written: 1, unchanged: 996, deleted: 3 });
    expect(diffDocuments(await expectedFilmDocuments(sakila.connection, sakila.database), await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);
  }, 180_000);

  it('sluice sync -c <file> --documents films: a summary per run, multiplex then reindex', async () => {
    const { engine, sakila } = await prepare();
    cleanup.add(async () => {
      for (const index of Object.keys(await engine.getAlias(sakila.filmIndex))) await engine.deleteIndex(index);
    });
    const first = await runCli(['sync', '-c', sakila.file, '--documents', 'films']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^films: written 1000, unchanged 0, superseded 0, deleted 0, strategy multiplex, duration [\d.]+ s/);
    const second = await runCli(['sync', '-c', sakila.file, '--documents', 'films']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^films: written 0, unchanged 1000, superseded 0, deleted 0, strategy reindex, /);
    expect(diffDocuments(await expectedFilmDocuments(sakila.connection, sakila.database), await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);
  }, 180_000);

  it('on a versioned index of sluice indexes: syncs it in place and leaves its alias where sluice indexes put it', async () => {
    const { engine, sakila, sync } = await prepare();
    const backing = versionedNames.backing(sakila.filmIndex, 1);
    cleanup.add(() => engine.deleteIndex(backing).catch(() => undefined));
    await ensureVersionedIndex(engine, { name: sakila.filmIndex, version: 1, mappings: { properties: { title: { type: 'text' } } } });
    const aliasBefore = await engine.getAlias(sakila.filmIndex);

    const first = await sync();
    expect(first).toMatchObject({ strategy: 'reindex', plan: { primary: 'in-place' }, written: 1000, deleted: 0 });
    expect(first.indexes.primary).toBe(backing);
    expect(await engine.getAlias(sakila.filmIndex)).toEqual(aliasBefore);
    expect(await engine.indexExists(channelNames.writeAlias({ name: sakila.filmIndex }))).toBe(false);
    expect((await engine.getMappingMeta(backing))?.sluice_version).toBe(1);
    expect(diffDocuments(await expectedFilmDocuments(sakila.connection, sakila.database), await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);

    await sakila.connection.query("UPDATE film SET title = 'VERSIONED' WHERE film_id = 2");
    expect(await sync()).toMatchObject({ strategy: 'reindex', written: 1, unchanged: 999, deleted: 0, indexes: { primary: backing } });
    expect(diffDocuments(await expectedFilmDocuments(sakila.connection, sakila.database), await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);
  }, 180_000);

  it('refuses with exit code 2 on the Elasticsearch node without lang-painless and reindex, naming them, the engine and the fix, and touches nothing', async () => {
    const elasticsearch = testEngine('elasticsearch', cleanup);
    const capabilities = await elasticsearch.capabilities();
    expect(capabilities.modules).not.toContain('lang-painless');
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch);
    const result = await runCli(['sync', '-c', sakila.file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('lang-painless and reindex modules');
    expect(result.stderr).toContain(`elasticsearch ${capabilities.version}`);
    expect(result.stderr).toContain('nothing was changed');
    expect(result.stderr).toMatch(/fix: .*modules\/lang-painless/);
    expect(await elasticsearch.getIndexTemplate(`sluice-${sakila.filmIndex}`)).toBeUndefined();
    expect(await elasticsearch.indexExists(sakila.filmIndex)).toBe(false);
    expect(await elasticsearch.getStoredScript('sluice-sync-touch').catch(() => undefined)).toBeUndefined();
  }, 120_000);

  it('with a secondary channel: the strategy for each combination of hashes and alias, and rows deleted between syncs swept from both channels', async () => {
    const { engine, sakila, films, sync } = await prepare();
    const semantic: ChannelSpec = { name: `${sakila.filmIndex}-semantic`, mappings: { properties: { description: { type: 'text', analyzer: 'english' } } } };
    const expectBoth = async (): Promise<void> => {
      const expected = await expectedFilmDocuments(sakila.connection, sakila.database);
      expect(diffDocuments(expected, await readIndexDocuments(engine, sakila.filmIndex), { limit: 10 })).toEqual([]);
      expect(diffDocuments(expected, await readIndexDocuments(engine, semantic.name), { limit: 10 })).toEqual([]);
    };
    // nothing exists: both channels get new indexes
    const first = await sync(semantic);
    expect(first).toMatchObject({ strategy: 'multiplex', plan: { primary: 'new-index', secondary: 'new-index' }, written: 1000 });
    await expectBoth();
    // both hashes unchanged, secondary alias present: reindex, only the primary written
    const second = await sync(semantic);
    expect(second).toMatchObject({ strategy: 'reindex', plan: { primary: 'in-place', secondary: 'reindexed-at-completion' }, written: 0, unchanged: 1000, reindexed: 0, deleted: 0, deletedSecondary: 0 });

    const [rows] = await sakila.connection.query('SELECT film_id FROM film WHERE film_id NOT IN (SELECT film_id FROM inventory) ORDER BY film_id DESC LIMIT 2');
    const gone = (rows as Array<{ film_id: number }>).map((row) => row.film_id);
    await sakila.connection.query('DELETE FROM film_actor WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film_category WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film WHERE film_id IN (?)', [gone]);
    await sakila.connection.query("UPDATE film SET description = 'changed for the secondary' WHERE film_id = 7");
    const third = await sync(semantic);
    expect(third).toMatchObject({ strategy: 'reindex', written: 1, reindexed: 1, deleted: 2, deletedSecondary: 2 });
    await expectBoth();

    // the secondary's mapping changed: multiplex, the primary in place and the secondary into a new index
    const semantic2: ChannelSpec = { ...semantic, mappings: { properties: { description: { type: 'text', analyzer: 'standard' } } } };
    const fourth = await sync(semantic2);
    expect(fourth).toMatchObject({ strategy: 'multiplex', plan: { primary: 'in-place', secondary: 'new-index' }, written: 0, unchanged: 998 });
    expect(fourth.indexes.secondary).not.toBe(third.indexes.secondary);
    expect(await engine.indexExists(third.indexes.secondary ?? '')).toBe(false);
    await expectBoth();

    // the primary's mapping changed: a new primary index, the secondary written in place
    const films2 = { ...films, mappings: { properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } } } } };
    const fifth = await sync(semantic2, films2);
    expect(fifth).toMatchObject({ strategy: 'multiplex', plan: { primary: 'new-index', secondary: 'in-place' }, written: 998 });
    expect(fifth.indexes.primary).not.toBe(fourth.indexes.primary);
    await expectBoth();

    // the secondary alias is gone (hash unchanged): multiplex into a new secondary index
    await engine.updateAliases([{ remove: { index: fifth.indexes.secondary ?? '', alias: semantic.name } }]);
    const sixth = await sync(semantic2, films2);
    expect(sixth).toMatchObject({ strategy: 'multiplex', plan: { primary: 'in-place', secondary: 'new-index' } });
    await engine.deleteIndex(fifth.indexes.secondary ?? '');
    await expectBoth();
    expect(await sync(semantic2, films2)).toMatchObject({ strategy: 'reindex', written: 0, deleted: 0, deletedSecondary: 0 });
  }, 240_000);
});
