import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { EXIT_CODES } from '../../src/cli/main.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch } from '../helpers/services.js';
import { runCli, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

// Errors retrying cannot fix stop the process at once with what broke, where and the fix, and a
// non-zero exit code, instead of retrying forever behind WARN lines; nothing is lost.

const cleanup = new Cleanup();
afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanup.run();
});

function pipelineFile(pipeline: string, database: string, url = endpoints.mysqlUrl, kafka: Record<string, unknown> = {}): string {
  return writePipelineFile(
    stringify({
      pipeline,
      source: { mysql: { url, databases: [database], positionSaveIntervalMs: 1000 } },
      kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 1, batch: { maxDelayMs: 20 }, ...kafka },
      elasticsearch: { node: endpoints.elasticsearchNode },
      documents: { items: { table: 'items', fields: ['name', 'price'] } },
    }),
  );
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe('permanent errors stop sluice with the fix', () => {
  it('stops `sluice run` with exit code 3 when a document reads a dropped column, naming the column and the fix; nothing is lost', async () => {
    const database = await createTestDatabase(cleanup, 'dropped_col');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price INT)');
    await sql.query("INSERT INTO items VALUES (1, 'one', 10)");
    const pipeline = database.replaceAll('_', '-');
    const file = pipelineFile(pipeline, database);
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const index = `${pipeline}-items`;
    cleanup.add(() => elasticsearch.indices.delete({ index, ignore_unavailable: true }));

    const first = startSluice(['run', '-c', file], cleanup);
    await waitFor(async () => (await readIndexDocuments(engine, index).catch(() => new Map())).has('1'), {
      timeoutMs: 60_000,
      description: `item 1 indexed (output: ${first.output().slice(-1000)})`,
    });
    await sql.query('ALTER TABLE items DROP COLUMN price');
    await sql.query("INSERT INTO items VALUES (2, 'two')");
    const code = await Promise.race([first.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000))]);
    const output = first.output();
    expect(code, output.slice(-2000)).toBe(EXIT_CODES.permanent);
    expect(output).toContain('sluice: stopped: building items documents failed: mysql ER_BAD_FIELD_ERROR');
    expect(output).toMatch(/Unknown column '[^']*price'/);
    expect(output).toContain(`  where: documents.items of ${file} (table ${database}.items)\n`);
    expect(output).toContain('  fix: the column "price" is no longer in the database (dropped or renamed?)');
    expect(output).not.toContain('failed; retrying');

    // the fix applied (here: the column restored), a restart builds the document the stop held back
    await sql.query('ALTER TABLE items ADD COLUMN price INT');
    await sql.query('UPDATE items SET price = 20 WHERE id = 2');
    const second = startSluice(['run', '-c', file], cleanup);
    await waitFor(async () => (await readIndexDocuments(engine, index)).has('2'), {
      timeoutMs: 60_000,
      description: `item 2 indexed after the restart (output: ${second.output().slice(-1000)})`,
    });
    expect((await readIndexDocuments(engine, index)).get('2')).toMatchObject({ name: 'two', price: 20 });
  }, 180_000);

  it('stops `sluice sink` with exit code 3 and the fix when the MySQL password is wrong, without a retry loop', async () => {
    vi.stubEnv('SLUICE_LOG_LEVEL', 'warn');
    const database = await createTestDatabase(cleanup, 'wrong_pw_sink');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price INT)');
    const file = pipelineFile(database.replaceAll('_', '-'), database, withPassword(endpoints.mysqlUrl, 'not-the-password'));
    const started = Date.now();
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code, stderr).toBe(EXIT_CODES.permanent);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stderr).toContain('sluice: stopped: reading the database catalog failed: mysql ER_ACCESS_DENIED_ERROR: Access denied for user');
    expect(stderr).toContain(`  where: the sink of ${file}\n`);
    expect(stderr).toContain('  fix: check the user and password in source.mysql.url');
    expect(stderr).not.toContain('not-the-password');
  }, 60_000);

  it('stops `sluice sink` with exit code 3 when Kafka refuses to create its topics (a replication factor above the brokers)', async () => {
    vi.stubEnv('SLUICE_LOG_LEVEL', 'warn');
    const database = await createTestDatabase(cleanup, 'kafka_refuses');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price INT)');
    const pipeline = database.replaceAll('_', '-');
    const elasticsearch = testElasticsearch(cleanup);
    cleanup.add(() => elasticsearch.indices.delete({ index: `${pipeline}-items`, ignore_unavailable: true }));
    const file = pipelineFile(pipeline, database, endpoints.mysqlUrl, { replicationFactor: 3 });
    const started = Date.now();
    const { code, stderr } = await runCli(['sink', '-c', file]);
    expect(code, stderr).toBe(EXIT_CODES.permanent);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(stderr).toContain('sluice: stopped: creating the topics failed: kafka INVALID_REPLICATION_FACTOR');
    expect(stderr).toContain(`  where: the sink of ${file}\n`);
    expect(stderr).toContain('  fix: change the Kafka settings of the pipeline file (kafka.*)');
  }, 60_000);

  it('refuses `sluice source` at once with the fix when the MySQL password is wrong (exit code 2, nothing started)', async () => {
    vi.stubEnv('SLUICE_LOG_LEVEL', 'warn');
    const database = await createTestDatabase(cleanup, 'wrong_pw_source');
    const file = pipelineFile(database.replaceAll('_', '-'), database, withPassword(endpoints.mysqlUrl, 'not-the-password'));
    const started = Date.now();
    const { code, stderr } = await runCli(['source', '-c', file]);
    expect(code, stderr).toBe(EXIT_CODES.usage);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stderr).toContain('Access denied for user');
    expect(stderr).toContain('  fix: check the user and password in source.mysql.url');
    expect(stderr).not.toContain('not-the-password');
  }, 60_000);
});
