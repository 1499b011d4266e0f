import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { elasticsearchEngine } from '../../../../src/sinks/engine/elasticsearch-engine.js';
import type { SearchEngine } from '../../../../src/sinks/engine/search-engine.js';

/**
 * The requests the full-sync orchestrator makes through the Elasticsearch adapter (the stack's
 * Elasticsearch cannot run them: no lang-painless, no reindex), checked against a local HTTP
 * server that records each request and answers as Elasticsearch 8 does. The REST bodies are the
 * same on OpenSearch, where the integration tests run them for real.
 */
interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

let server: Server;
let engine: SearchEngine;
const recorded: Recorded[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

async function read(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void read(request).then((body) => {
      recorded.push({ method: request.method ?? '', path: request.url ?? '', body });
      response.writeHead(answer.status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  engine = elasticsearchEngine({ engine: 'elasticsearch', node: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(async () => {
  await engine.close();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  recorded.length = 0;
  answer = { status: 200, body: {} };
});

const last = (): Recorded & { json: unknown } => {
  const request = recorded.at(-1);
  if (request === undefined) throw new Error('no request');
  return { ...request, json: request.body === '' ? undefined : JSON.parse(request.body) };
};

describe('the Elasticsearch adapter: requests of the full sync', () => {
  it('_reindex into the secondary keeps external versions and reads the counts', async () => {
    answer = { status: 200, body: { took: 5, total: 3, created: 1, updated: 2, deleted: 0, version_conflicts: 1, failures: [] } };
    const result = await engine.reindex({
      source: { index: 'films__1', query: { range: { last_updated: { gte: 1000 } } } },
      dest: { index: 'films-semantic__1', version_type: 'external' },
      conflicts: 'proceed',
    });
    expect(result).toEqual({ total: 3, created: 1, updated: 2, deleted: 0, versionConflicts: 1, failures: [] });
    const request = last();
    expect(request.method).toBe('POST');
    expect(request.path).toMatch(/^\/_reindex\?/);
    expect(request.path).toContain('wait_for_completion=true');
    expect(request.json).toEqual({ source: { index: 'films__1', query: { range: { last_updated: { gte: 1000 } } } }, dest: { index: 'films-semantic__1', version_type: 'external' }, conflicts: 'proceed' });
  });

  it('_update_by_query and _delete_by_query: conflicts and refresh in the query string, the script in the body', async () => {
    answer = { status: 200, body: { total: 2, updated: 0, deleted: 2, version_conflicts: 0, failures: [] } };
    expect(await engine.updateByQuery({ index: 'films', query: { match_all: {} }, script: { source: 'ctx.op = "noop"', lang: 'painless', params: { a: 1 } }, conflicts: 'proceed', refresh: true })).toMatchObject({ deleted: 2 });
    let request = last();
    expect(request.path).toBe('/films/_update_by_query?refresh=true&conflicts=proceed');
    expect(request.json).toEqual({ query: { match_all: {} }, script: { source: 'ctx.op = "noop"', lang: 'painless', params: { a: 1 } } });
    await engine.deleteByQuery({ index: 'films', query: { term: { tag: 'old' } } });
    request = last();
    expect(request.path).toBe('/films/_delete_by_query?refresh=false&conflicts=abort');
    expect(request.json).toEqual({ query: { term: { tag: 'old' } } });
  });

  it('stored scripts, index templates with _meta.hash, and atomic alias actions', async () => {
    answer = { status: 200, body: { acknowledged: true } };
    await engine.putStoredScript('sluice-sync-touch', 'ctx._source.x = 1', 'painless');
    expect(last()).toMatchObject({ method: 'PUT', path: '/_scripts/sluice-sync-touch', json: { script: { lang: 'painless', source: 'ctx._source.x = 1' } } });
    await engine.putIndexTemplate('sluice-films', { index_patterns: ['films__*'], priority: 500, template: { settings: { 'index.gc_deletes': '1h' } }, _meta: { hash: 'abc' } });
    expect(last()).toMatchObject({ method: 'PUT', path: '/_index_template/sluice-films', json: { index_patterns: ['films__*'], priority: 500, _meta: { hash: 'abc' } } });
    await engine.updateAliases([{ remove_index: { index: 'films__1' } }, { add: { index: 'films__2', alias: 'films' } }, { add: { index: 'films__2', alias: 'films-write', is_write_index: true } }]);
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/_aliases',
      json: { actions: [{ remove_index: { index: 'films__1' } }, { add: { index: 'films__2', alias: 'films' } }, { add: { index: 'films__2', alias: 'films-write', is_write_index: true } }] },
    });
  });

  it('reads the indexes behind an alias, and {} for a missing alias', async () => {
    answer = { status: 200, body: { films__2: { aliases: { 'films-write': { is_write_index: true } } } } };
    expect(await engine.getAlias('films-write')).toEqual({ films__2: { isWriteIndex: true } });
    expect(last().path).toBe('/_alias/films-write');
    answer = { status: 404, body: { error: 'alias [films] missing', status: 404 } };
    expect(await engine.getAlias('films')).toEqual({});
  });

  it('sends versioned deletes and touch updates in one bulk body, asks for the item fields only and reads each item, 409 included', async () => {
    answer = {
      status: 200,
      body: {
        errors: true,
        items: [
          { delete: { _index: 'films__1', _id: '1', status: 200, result: 'deleted' } },
          { delete: { _index: 'films__1', _id: '2', status: 409, error: { type: 'version_conflict_engine_exception', reason: 'current version [9] is higher' } } },
          { update: { _index: 'films__1', _id: '3', status: 200, result: 'updated' } },
        ],
      },
    };
    const body = [
      JSON.stringify({ delete: { _index: 'films__1', _id: '1', version: 5, version_type: 'external_gte' } }),
      JSON.stringify({ delete: { _index: 'films__1', _id: '2', version: 5, version_type: 'external_gte' } }),
      JSON.stringify({ update: { _index: 'films__1', _id: '3' } }),
      JSON.stringify({ script: { id: 'sluice-sync-touch', params: { batch: 1 } } }),
    ].join('\n');
    const result = await engine.bulk(`${body}\n`);
    expect(result.items.map((item) => item.status)).toEqual([200, 409, 200]);
    expect(result.items[1]?.error?.type).toBe('version_conflict_engine_exception');
    // the response is cut to the fields an item result holds
    expect(recorded.at(-1)).toMatchObject({ method: 'POST', path: `/_bulk?filter_path=${encodeURIComponent('errors,items.*.status,items.*.result,items.*.error')}`, body: `${body}\n` });
  });
});
