import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { readTableCatalog } from '../../src/sources/mysql/table-catalog.js';
import { unframe } from '../../src/streams/avro/framing.js';
import { MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { SchemaTopic } from '../../src/streams/schema-topic.js';
import { changeTopic, schemaTopic } from '../../src/streams/topic-names.js';
import { uniqueName } from '../helpers/names.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('MariaDB JSON columns (LONGTEXT with a json_valid check)', () => {
  it('are JSON in the catalog and tagged JSON in the change events of the snapshot and of the binlog', async () => {
    const db = await createTestDatabase(cleanup, 'json');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE doc (id INT PRIMARY KEY, body JSON, note LONGTEXT)');
    await sql.query(`INSERT INTO doc VALUES (1, '{"a":[1,2]}', 'plain')`);

    const catalog = await readTableCatalog(sql, [db], () => true);
    expect(catalog.get(`${db}.doc`)?.columns.map((column) => `${column.name}:${column.baseType}`)).toEqual(['id:int', 'body:json', 'note:longtext']);

    const prefix = uniqueName('json');
    const controller = new AbortController();
    const capture = new MysqlCapture(testKafka(), {
      pipeline: prefix, topicPrefix: prefix, partitions: 1, replicationFactor: 1,
      connection: mysqlConnectionOptions(endpoints.mysqlUrl), serverId: 300_000 + Math.floor(Math.random() * 1_000_000),
      databases: [db], filter: () => true, snapshot: { mode: 'initial', pageSize: 100 }, batch: { maxMessages: 100, maxDelayMs: 20 },
      positionIntervalMs: 200, retryPolicy: TEST_RETRY_POLICY, logger: pino({ level: 'silent' }),
    });
    const running = capture.run(controller.signal);
    cleanup.add(async () => {
      controller.abort();
      await running;
    });
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { description: 'the snapshot', timeoutMs: 60_000 });
    await sql.query(`INSERT INTO doc VALUES (2, '{"b":true}', 'other')`);
    await waitFor(() => capture.stats.snapshotRows === 1 && capture.stats.streamedRows === 1, { description: 'the snapshot row and the streamed row', timeoutMs: 60_000 });

    const kafka = testKafka();
    const consumer = kafka.consumer({ groupId: uniqueName('json_reader') });
    await consumer.connect();
    cleanup.add(() => consumer.disconnect());
    await consumer.subscribe({ topic: changeTopic(prefix, db, 'doc'), fromBeginning: true });
    const schemaIds: string[] = [];
    await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void (message.value !== null && schemaIds.push(unframe(message.value).schemaId))) });
    await waitFor(() => schemaIds.length === 2, { description: 'both change events', timeoutMs: 60_000 });
    const schemas = new SchemaTopic(kafka, schemaTopic(prefix));
    for (const id of schemaIds) {
      const schema = JSON.stringify(JSON.parse(await schemas.resolve(id)));
      expect(schema, `writer schema ${id}`).toMatch(/"name":"body","type":\["null",\{"type":"string","sluice\.type":"json"\}\]/);
      expect(schema).toMatch(/"name":"note","type":\["null","string"\]/);
    }
  });
});
