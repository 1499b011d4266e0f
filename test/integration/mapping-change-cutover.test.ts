import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentDefinition } from '../../src/config/document-definition.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { VersionClock } from '../../src/descriptors/version-clock.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { BulkChannel } from '../../src/sinks/elasticsearch/bulk-channel.js';
import { documentsReferencing } from '../../src/sinks/elasticsearch/reference-lookup.js';
import { ElasticsearchVersionEpochStore } from '../../src/sinks/elasticsearch/version-epoch-store.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { ChannelRouter } from '../../src/sinks/orchestrator/channel-router.js';
import { runFullSync } from '../../src/sinks/orchestrator/full-sync.js';
import { rebuildChannel } from '../../src/sinks/orchestrator/mapping-change.js';
import { removeChannelsAtCleanup, testEngine } from '../helpers/engines.js';
import { loadSakilaDescriptor, prepareSakilaPipeline } from '../helpers/sakila-pipeline.js';
import { Cleanup, endpoints } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const logger = pino({ level: 'silent' });

/** A reference no Sakila document holds: only the document written at the cut-over carries it. */
const REFERENCE = 'cutover.test:1';

/** Collects every id of the pages of a reference lookup. */
async function idsReferencing(engine: SearchEngine, index: string, reference: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of documentsReferencing(engine, index, [reference], 100)) ids.push(...page);
  return ids;
}

describe('mapping change cut-over on OpenSearch', () => {
  it('a document the continuous sink writes just before the alias moves is found by a reference lookup on the read alias, and lands in the new index', async () => {
    const engine = testEngine('opensearch', cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, engine);
    removeChannelsAtCleanup(cleanup, engine, [sakila.filmIndex]);
    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 4);
    cleanup.add(() => pool.end());
    const films = (parse(readFileSync(sakila.file, 'utf8')) as { documents: Record<string, DocumentDefinition> }).documents.films;
    if (films === undefined) throw new Error('no films document in the Sakila pipeline');
    const load = (definition: DocumentDefinition) => loadSakilaDescriptor(pool, sakila, definition);
    const versioning = new VersionClock(new ElasticsearchVersionEpochStore(engine, sakila.pipeline), { logger });
    const first = await runFullSync(engine, pool, { descriptor: await load(films), gcDeletes: '1h', pageSize: 300, versioning, logger });
    const remapped = await load({ ...films, mappings: { properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } } } } });
    const alias = sakila.filmIndex;

    const writer = new BulkChannel(engine, { onRejected: () => Promise.reject(new Error('nothing is rejected here')), logger, maxAgeMs: 0 });
    cleanup.add(() => writer.close());
    const router = new ChannelRouter(writer);
    // the continuous sink's moves in the last moment before the aliases change: a film written
    // (it now embeds a row, REFERENCE), then that row deleted: the sink looks up the documents
    // embedding it on the read alias, still the old index
    const atCutOver: { targets?: readonly string[]; found?: string[] } = {};
    const spied = new Proxy(engine, {
      get(target, property, receiver) {
        if (property !== 'updateAliases') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<SearchEngine['updateAliases']>) => {
          if (atCutOver.found === undefined) {
            atCutOver.targets = router.targetsOf(alias);
            await router.write({ kind: 'index', index: alias, id: '1', version: Number.MAX_SAFE_INTEGER, json: JSON.stringify({ title: 'WRITTEN AT THE CUT-OVER', _sluice: { id: '1', hash: 'cut-over', refs: [REFERENCE] } }) });
            await router.flush();
            atCutOver.found = await idsReferencing(engine, alias, REFERENCE);
          }
          return target.updateAliases(...args);
        };
      },
    });

    const report = await rebuildChannel(spied, pool, { descriptor: remapped, gcDeletes: '1h', pageSize: 300, router, versioning, logger });

    expect(report.plan.primary).toBe('new-index');
    expect(report.indexes.primary).not.toBe(first.indexes.primary);
    expect(atCutOver.targets).toEqual([alias, report.indexes.primary]);
    expect(atCutOver.found).toEqual(['1']);
    // the alias now points at the new index alone, which holds the write; the router writes to the alias again
    expect(Object.keys(await engine.getAlias(alias))).toEqual([report.indexes.primary]);
    expect(await idsReferencing(engine, alias, REFERENCE)).toEqual(['1']);
    expect(router.targetsOf(alias)).toEqual([alias]);
    expect(await engine.indexExists(first.indexes.primary)).toBe(false);
  }, 180_000);
});
