import { afterEach, describe, expect, it } from 'vitest';
import { gtidPositionReached } from '../../src/sources/mysql/gtid-position.js';
import { pino } from 'pino';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testKafka } from '../helpers/services.js';
import { pipelineYaml, runCli, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function pipelineFile(pipeline: string, url: string, databases: string[], include?: string[]): string {
  return writePipelineFile(pipelineYaml(pipeline, databases, { url, ...(include === undefined ? {} : { mysqlExtra: `include: [${include.join(', ')}]` }) }));
}

function runSource(file: string): Promise<{ code: number; stderr: string }> {
  return runCli(['source', '-c', file]);
}

async function topicsOf(pipeline: string): Promise<string[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((topic) => topic.startsWith(`${pipeline}.`));
  } finally {
    await admin.disconnect();
  }
}

describe('sluice source refuses bad input before writing anything (exit code 2)', () => {
  it('names the missing replication privileges and the GRANT that fixes them', async () => {
    const db = await createTestDatabase(cleanup, 'norepl');
    const admin = await openMysql(cleanup);
    const user = uniqueName('norepl').slice(0, 30);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
    cleanup.add(() => admin.query(`DROP USER '${user}'@'%'`));
    await admin.query(`GRANT SELECT ON *.* TO '${user}'@'%'`);
    const { host, port } = mysqlConnectionOptions(endpoints.mysqlUrl);
    const pipeline = uniqueName('pre').replaceAll('_', '-');
    const result = await runSource(pipelineFile(pipeline, `mysql://${user}:pw@${host}:${port}`, [db]));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the user "${user}" lacks REPLICATION SLAVE and REPLICATION CLIENT`);
    expect(result.stderr).toContain('fix: GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.*');
    expect(await topicsOf(pipeline)).toEqual([]);
  });

  it('names an unknown table and an unknown database', async () => {
    const db = await createTestDatabase(cleanup, 'unknown');
    const pipeline = uniqueName('pre').replaceAll('_', '-');
    const table = await runSource(pipelineFile(pipeline, endpoints.mysqlUrl, [db], [`${db}.no_such_table`]));
    expect(table.code).toBe(2);
    expect(table.stderr).toContain(`unknown table(s) in source.mysql.include: ${db}.no_such_table`);
    const database = await runSource(pipelineFile(pipeline, endpoints.mysqlUrl, ['no_such_database_x']));
    expect(database.code).toBe(2);
    expect(database.stderr).toContain('unknown database(s) in source.mysql.databases: no_such_database_x');
    expect(await topicsOf(pipeline)).toEqual([]);
  });

  it('names the URL (without its password) when the server is unreachable', async () => {
    const pipeline = uniqueName('pre').replaceAll('_', '-');
    const result = await runSource(pipelineFile(pipeline, 'mysql://sluice:secret@127.0.0.1:9', ['x']));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot connect to the source database at mysql://sluice:***@127.0.0.1:9');
    expect(result.stderr).toContain('fix: check source.mysql.url');
    expect(result.stderr).not.toContain('secret');
  });
});

describe('an idle capture', () => {
  it('still advances its saved position past transactions of tables it does not capture (heartbeat)', async () => {
    const captured = await createTestDatabase(cleanup, 'idle');
    const other = await createTestDatabase(cleanup, 'busy');
    const sql = await openMysql(cleanup, other);
    await sql.query('CREATE TABLE noise (id INT PRIMARY KEY)');
    const prefix = uniqueName('idle');
    const controller = new AbortController();
    const capture = new MysqlCapture(testKafka(), {
      pipeline: prefix, topicPrefix: prefix, partitions: 1, replicationFactor: 1,
      connection: mysqlConnectionOptions(endpoints.mysqlUrl), serverId: 200_000 + Math.floor(Math.random() * 1_000_000),
      databases: [captured], filter: () => true, snapshot: { mode: 'initial', pageSize: 10 },
      batch: { maxMessages: 10, maxDelayMs: 20 }, positionIntervalMs: 200, logger: pino({ level: 'silent' }),
    });
    const running = capture.run(controller.signal);
    cleanup.add(async () => {
      controller.abort();
      await running;
    });
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot' });
    const before = capture.stats.lastSaved?.gtidPosition;
    await sql.query('INSERT INTO noise VALUES (1)');
    const [gtid] = await sql.query('SELECT @@last_gtid AS gtid');
    const noiseGtid = (gtid as Array<{ gtid: string }>)[0]?.gtid ?? '';
    await waitFor(() => gtidPositionReached(capture.stats.lastSaved?.gtidPosition ?? '', noiseGtid), { description: `position ${noiseGtid} saved` });
    expect(capture.stats.lastSaved?.gtidPosition).not.toBe(before);
    expect(capture.stats.streamedRows).toBe(0);
  });
});
