import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch } from '../helpers/services.js';
import { pipelineYaml, runCli, writePipelineFile } from '../helpers/sluice-process.js';

// `sluice sink` with a pipeline file the database or the sink cannot work with: exit code 2, a
// message naming the file, the key and the fix, and nothing started (no index created).

const cleanup = new Cleanup();
afterAll(async () => {
  vi.unstubAllEnvs();
  await cleanup.run();
});

let database: string;
let pipeline: string;
let elasticsearch: Client;

beforeAll(async () => {
  vi.stubEnv('SLUICE_LOG_LEVEL', 'warn');
  database = await createTestDatabase(cleanup, 'sink_config');
  const connection = await openMysql(cleanup, database);
  await connection.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(6,2))');
  await connection.query("INSERT INTO items VALUES (1, 'spoon', 1.50), (2, 'fork', NULL)");
  pipeline = uniqueName('sink_config');
  elasticsearch = testElasticsearch(cleanup);
});

/** Writes a pipeline file for the test database; `extra` is appended as is. Removed by `cleanup`. */
function pipelineFile(extra: string): string {
  const file = writePipelineFile(pipelineYaml(pipeline, [database]) + extra);
  cleanup.add(() => Promise.resolve(rmSync(dirname(file), { recursive: true, force: true })));
  return file;
}

const ELASTICSEARCH = `elasticsearch:\n  node: ${endpoints.elasticsearchNode}\n`;

async function indexExists(index: string): Promise<boolean> {
  return elasticsearch.indices.exists({ index });
}

describe('sluice sink with a wrong pipeline file', () => {
  it('names a column that does not exist, with the key path and the columns, and creates no index', async () => {
    const file = pipelineFile(`${ELASTICSEARCH}documents:\n  items:\n    table: items\n    fields: [id, nme, price]\n`);
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`sluice: ${file}: documents.items.fields.nme: column "nme" does not exist in ${database}.items\n`);
    expect(stderr).toContain('  fix: use one of its columns: id, name, price\n');
    expect(await indexExists(`${pipeline}-items`)).toBe(false);
  });

  it('names a table that does not exist and lists the tables of the database', async () => {
    const index = `${pipeline}-explicit`;
    const file = pipelineFile(`${ELASTICSEARCH}documents:\n  items:\n    index: ${index}\n    table: itemz\n`);
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`sluice: ${file}: documents.items.table: table ${database}.itemz does not exist\n`);
    expect(stderr).toContain(`  fix: use one of the tables of ${database}: items\n`);
    expect(await indexExists(index)).toBe(false);
  });

  it('refuses a document on a table the pipeline does not capture', async () => {
    const file = writePipelineFile(
      pipelineYaml(pipeline, [database], { mysqlExtra: `exclude: [${database}.items]` }) + `${ELASTICSEARCH}documents:\n  items:\n    table: items\n`,
    );
    cleanup.add(() => Promise.resolve(rmSync(dirname(file), { recursive: true, force: true })));
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`sluice: ${file}: documents.items.table: table ${database}.items is not captured by source.mysql\n`);
    expect(await indexExists(`${pipeline}-items`)).toBe(false);
  });

  it('requires an elasticsearch section', async () => {
    const file = pipelineFile('documents:\n  items:\n    table: items\n');
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toBe(`sluice: ${file}: elasticsearch: is required to run a sink\n  fix: add elasticsearch: { node: http://127.0.0.1:9200 }\n`);
  });

  it('requires at least one document', async () => {
    const withoutSection = pipelineFile(ELASTICSEARCH);
    const missing = await runCli(['sink', '-c', withoutSection]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `sluice: ${withoutSection}: documents: defines no document\n  fix: define at least one document under documents (see examples/sakila/pipeline.yml)\n`,
    );
    const empty = pipelineFile(`${ELASTICSEARCH}documents: {}\n`);
    expect((await runCli(['sink', '-c', empty])).code).toBe(2);
  });

  it('reports a shape error of the documents section before touching any service', async () => {
    const file = pipelineFile(`${ELASTICSEARCH}documents:\n  items:\n    table: items\n    relations:\n      parts: { type: oneToMany, table: items }\n`);
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`sluice: ${file}: documents.items.relations.parts.foreignKey: is required for a oneToMany relation\n`);
  });

  it('stops at once with the fix when the search engine refuses the credentials (401), never printing the password', async () => {
    let requests = 0;
    const server = createServer((request, response) => {
      requests += 1;
      request.resume();
      response.writeHead(401, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      response.end(JSON.stringify({ error: { type: 'security_exception', reason: 'unable to authenticate user [sluice]' }, status: 401 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => server.close(resolve)));
    const node = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file = pipelineFile(`elasticsearch:\n  node: ${node}\n  username: sluice\n  password: hunter2-secret\ndocuments:\n  items:\n    table: items\n`);
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('401 security_exception: unable to authenticate user [sluice]');
    expect(stderr).toContain('fix: check the credentials of the elasticsearch section (username and password, or apiKey)');
    expect(stderr).not.toContain('hunter2-secret');
    expect(requests).toBe(1);
  });
});
