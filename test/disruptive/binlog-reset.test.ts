import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { uniqueName } from '../helpers/names.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch } from '../helpers/services.js';
import { startSluice, writePipelineFile, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ROWS = 30;

/**
 * RESET MASTER on the shared MariaDB: every binlog and GTID position of every test vanishes, so
 * this runs alone (the disruptive project). Before version epochs, every write after the reset
 * carried a version lower than the stored one, was answered 409 and counted as superseded: the
 * index froze at the state before the reset.
 */
describe('RESET MASTER mid-stream', () => {
  it('keeps documents updating: the sink notices the coordinate going back and starts a new version epoch', async () => {
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const db = await createTestDatabase(cleanup, 'reset');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, v INT NOT NULL)');
    await sql.query(`INSERT INTO item VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 0)`).join(', ')}`);
    // the binlog must be past its first file so that RESET MASTER sends the coordinate back
    await sql.query('FLUSH BINARY LOGS');
    const pipeline = uniqueName('reset').replaceAll('_', '-');
    const index = `${pipeline}-items`;
    cleanup.add(() => elasticsearch.indices.delete({ index, ignore_unavailable: true }));
    cleanup.add(() => elasticsearch.delete({ index: 'sluice-version-epochs', id: pipeline }, { ignore: [404] }));
    const file = writePipelineFile(
      stringify({
        pipeline,
        source: { mysql: { url: endpoints.mysqlUrl, databases: [db], positionSaveIntervalMs: 500, binlogPurged: 'snapshot' } },
        kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 2, batch: { maxDelayMs: 20 } },
        elasticsearch: { node: endpoints.elasticsearchNode },
        sink: { pageSize: 100 },
        documents: { items: { index, table: 'item', fields: ['id', 'v'] } },
      }),
    );
    const processes: SluiceProcess[] = [];
    const output = (): string => processes.map((process) => process.output()).join('\n');
    const start = (): SluiceProcess => {
      const run = startSluice(['run', '-c', file], cleanup);
      processes.push(run);
      return run;
    };
    /** The source may stop when its saved GTID position vanishes (that is not this test's subject): it is started again, as a process manager would. */
    let run = start();
    const keepRunning = async (): Promise<void> => {
      if (run.child.exitCode !== null) run = start();
      await Promise.resolve();
    };
    const allAt = async (value: number, count: number): Promise<boolean> => {
      await keepRunning();
      const documents = await readIndexDocuments(engine, index).catch(() => new Map<string, Record<string, unknown>>());
      return documents.size === count && [...documents.values()].every((document) => document.v === value);
    };
    const describeState = async (): Promise<string> => {
      const documents = await readIndexDocuments(engine, index).catch(() => new Map());
      return `${documents.size} documents, v values ${JSON.stringify([...new Set([...documents.values()].map((document) => (document as { v: unknown }).v))])}\n--- sluice output ---\n${output().slice(-5000)}`;
    };

    await waitFor(() => allAt(0, ROWS), { timeoutMs: 120_000, intervalMs: 500, description: 'the first documents' });
    await sql.query('UPDATE item SET v = 1');
    await waitFor(() => allAt(1, ROWS), { timeoutMs: 60_000, intervalMs: 500, description: 'the update before the reset' });
    const versionBefore = await maxVersion(elasticsearch, index);

    await sql.query('RESET MASTER');
    const [status] = await sql.query('SHOW MASTER STATUS');
    expect((status as Array<{ File: string }>)[0]?.File).toMatch(/\.000001$/);

    await sql.query('UPDATE item SET v = 2');
    await sql.query(`INSERT INTO item VALUES (${ROWS + 1}, 2), (${ROWS + 2}, 2)`);
    await waitFor(() => allAt(2, ROWS + 2), { timeoutMs: 180_000, intervalMs: 1000, description: 'the changes after the reset' }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await describeState()}`);
    });
    // and again: documents keep updating in the new epoch
    await sql.query('UPDATE item SET v = 3');
    await waitFor(() => allAt(3, ROWS + 2), { timeoutMs: 60_000, intervalMs: 500, description: 'a later update' }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await describeState()}`);
    });

    const versionAfter = await maxVersion(elasticsearch, index);
    const said = /the binlog coordinate went back \([^)]*\)/.exec(output())?.[0] ?? 'nothing';
    process.stdout.write(`RESET MASTER: highest version before ${versionBefore}, after ${versionAfter}; sluice processes started: ${processes.length}; the sink said: ${said}\n`);
    expect(versionAfter).toBeGreaterThan(versionBefore);
    expect(output(), 'the regression is said loudly').toMatch(/the binlog coordinate went back \(.*\.\d+:\d+ -> .*\.000001:\d+\)/);
    const epoch = await elasticsearch.get<{ epoch: number; base: number }>({ index: 'sluice-version-epochs', id: pipeline });
    expect(epoch._source?.epoch).toBe(1);
    expect(epoch._source?.base).toBeGreaterThan(versionBefore);
    for (const process of processes) if (process.child.exitCode === null) process.child.kill('SIGTERM');
  }, 600_000);
});

async function maxVersion(elasticsearch: ReturnType<typeof testElasticsearch>, index: string): Promise<number> {
  await elasticsearch.indices.refresh({ index });
  const response = await elasticsearch.search({ index, size: 1000, version: true, query: { match_all: {} } });
  return Math.max(...response.hits.hits.map((hit) => hit._version ?? 0));
}
