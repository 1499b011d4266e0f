import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT_CODES } from '../../src/cli/main.js';
import { LOCAL_STACK_PORTS } from '../../src/config/endpoints.js';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { pipelineKafka } from '../../src/pipeline/pipeline-kafka.js';
import { STACK_SECURE_ACCOUNTS } from '../../stack/secure-accounts.js';
import { kafkaService } from '../../stack/services/kafka.js';
import { mariadbService } from '../../stack/services/mariadb.js';
import { createStackContext, isExternal } from '../../stack/stack.js';
import { tlsFiles } from '../../stack/tls-material.js';
import { testEngine } from '../helpers/engines.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch } from '../helpers/services.js';
import { runCli, startSluice, writePipelineFile, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

// sluice through the stack's secure endpoints: Kafka's SASL_SSL listener (the stack's CA, SCRAM
// and PLAIN users) and MariaDB's TLS-only account. Wrong secrets or certificates stop at once
// with the fix instead of retrying.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const stack = createStackContext();
const tls = tlsFiles(stack.stackDir);
const { kafkaScram, kafkaPlain, mysqlTls } = STACK_SECURE_ACCOUNTS;
const SECURE_BROKER = `127.0.0.1:${LOCAL_STACK_PORTS.kafkaSecure}`;

/** The stack's MariaDB as the TLS-only account, with `query` (TLS settings) appended. */
function tlsMysqlUrl(query: string): string {
  const url = new URL(endpoints.mysqlUrl);
  url.username = mysqlTls.username;
  url.password = mysqlTls.password;
  return `${url.toString().replace(/\/$/, '')}/${query === '' ? '' : `?${query}`}`;
}

function secretFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-secret-')), 'secret');
  writeFileSync(file, `${content}\n`);
  return file;
}

function pipelineFile(pipeline: string, database: string, mysqlUrl: string, kafka: Record<string, unknown>): string {
  return writePipelineFile(
    stringify({
      pipeline,
      source: { mysql: { url: mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
      kafka: { brokers: [SECURE_BROKER], partitions: 1, batch: { maxDelayMs: 20 }, ...kafka },
      elasticsearch: { node: endpoints.elasticsearchNode },
      documents: { items: { table: 'items', fields: ['name'] } },
    }),
  );
}

/** Resolves with the exit code, or fails the test when the process is still running after `ms` (a retry loop). */
async function exitWithin(process: SluiceProcess, ms: number): Promise<number> {
  const code = await Promise.race([process.exited, new Promise<string>((resolve) => setTimeout(() => resolve(`still running after ${ms / 1000} s`), ms))]);
  expect(code, process.output().slice(-2000)).toBeTypeOf('number');
  return code as number;
}

async function itemsDatabase(prefix: string): Promise<{ database: string; pipeline: string }> {
  const database = await createTestDatabase(cleanup, prefix);
  const sql = await openMysql(cleanup, database);
  await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))');
  await sql.query("INSERT INTO items VALUES (1, 'one')");
  return { database, pipeline: database.replaceAll('_', '-') };
}

describe.runIf(!isExternal(kafkaService, stack.endpoints) && !isExternal(mariadbService, stack.endpoints))('secure connections (TLS and SASL)', () => {
  it('runs `sluice source` and `sluice sink` over TLS + SCRAM-SHA-512 to Kafka and verified TLS to MariaDB, with the password from a file, redacted by validate', async () => {
    const { database, pipeline } = await itemsDatabase('tls_e2e');
    const passwordFile = secretFile(kafkaScram.password);
    const file = pipelineFile(pipeline, database, tlsMysqlUrl(`ssl-mode=verify-identity&ssl-ca=${encodeURIComponent(tls.caCert)}`), {
      ssl: { caFile: tls.caCert },
      sasl: { mechanism: 'scram-sha-512', username: kafkaScram.username, password: `\${file:${passwordFile}}` },
    });
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const index = `${pipeline}-items`;
    cleanup.add(() => elasticsearch.indices.delete({ index, ignore_unavailable: true }));

    const validated = await runCli(['validate', '-c', file]);
    expect(validated.code, validated.stderr).toBe(EXIT_CODES.ok);
    expect(validated.stdout).toContain('mechanism: scram-sha-512');
    expect(validated.stdout).not.toContain(kafkaScram.password);
    expect(validated.stdout).not.toContain(mysqlTls.password);

    const source = startSluice(['source', '-c', file], cleanup);
    const sink = startSluice(['sink', '-c', file], cleanup);
    const output = (): string => `source: ${source.output().slice(-1000)}\nsink: ${sink.output().slice(-1000)}`;
    await waitFor(async () => (await readIndexDocuments(engine, index).catch(() => new Map())).has('1'), { timeoutMs: 90_000, description: `item 1 indexed (${output()})` });
    const sql = await openMysql(cleanup, database);
    await sql.query("INSERT INTO items VALUES (2, 'two')");
    await waitFor(async () => (await readIndexDocuments(engine, index)).get('2'), { timeoutMs: 60_000, description: `item 2 streamed (${output()})` });
    expect((await readIndexDocuments(engine, index)).get('2')).toMatchObject({ name: 'two' });
    expect(source.child.exitCode).toBeNull();
    expect(sink.child.exitCode).toBeNull();
  }, 180_000);

  it('connects with SASL/PLAIN and SCRAM-SHA-256 and a client certificate', async () => {
    for (const [mechanism, account] of [['plain', kafkaPlain], ['scram-sha-256', kafkaScram]] as const) {
      const file = pipelineFile('secure-admin', 'unused', endpoints.mysqlUrl, {
        ssl: { caFile: tls.caCert, certFile: tls.clientCert, keyFile: tls.clientKey },
        sasl: { mechanism, username: account.username, password: account.password },
      });
      const admin = pipelineKafka(loadPipelineConfig(file), 'sluice-test-secure').admin();
      await admin.connect();
      try {
        expect(Array.isArray(await admin.listTopics()), mechanism).toBe(true);
      } finally {
        await admin.disconnect();
      }
    }
  });

  it('stops `sluice source` with exit code 3 and the fix on a wrong Kafka password, without retrying', async () => {
    const { database, pipeline } = await itemsDatabase('tls_badpw');
    const file = pipelineFile(pipeline, database, endpoints.mysqlUrl, { ssl: { caFile: tls.caCert }, sasl: { mechanism: 'scram-sha-512', username: kafkaScram.username, password: 'wrong-password' } });
    const source = startSluice(['source', '-c', file], cleanup);
    expect(await exitWithin(source, 60_000), source.output()).toBe(EXIT_CODES.permanent);
    expect(source.output()).toContain('check the Kafka credentials');
    expect(source.output()).not.toContain('wrong-password');
  }, 90_000);

  it('stops with the TLS fix when Kafka\'s certificate is not signed by the configured CA', async () => {
    const { database, pipeline } = await itemsDatabase('tls_badca');
    // the client certificate is not a CA: the broker's certificate cannot be verified against it
    const file = pipelineFile(pipeline, database, endpoints.mysqlUrl, { ssl: { caFile: tls.clientCert }, sasl: { mechanism: 'scram-sha-512', username: kafkaScram.username, password: kafkaScram.password } });
    const source = startSluice(['source', '-c', file], cleanup);
    expect(await exitWithin(source, 60_000), source.output()).toBe(EXIT_CODES.permanent);
    expect(source.output()).toContain('check the TLS settings');
  }, 90_000);

  it('refuses a MariaDB certificate from another CA, and the TLS-only account without TLS, with exit code 2 and the fix', async () => {
    const { database, pipeline } = await itemsDatabase('tls_mysql');
    const kafka = { ssl: { caFile: tls.caCert }, sasl: { mechanism: 'scram-sha-512', username: kafkaScram.username, password: kafkaScram.password } };

    const wrongCa = startSluice(['source', '-c', pipelineFile(pipeline, database, tlsMysqlUrl(`ssl-mode=verify-ca&ssl-ca=${encodeURIComponent(tls.clientCert)}`), kafka)], cleanup);
    expect(await exitWithin(wrongCa, 60_000), wrongCa.output()).toBe(EXIT_CODES.usage);
    expect(wrongCa.output()).toContain('check the TLS settings');

    const plain = startSluice(['source', '-c', pipelineFile(pipeline, database, tlsMysqlUrl(''), kafka)], cleanup);
    expect(await exitWithin(plain, 60_000), plain.output()).toBe(EXIT_CODES.usage);
    expect(plain.output()).toMatch(/Access denied for user 'sluice_tls'/);
  }, 150_000);
});
