import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { changeTopic } from '../../src/streams/topic-names.js';
import { collectChangeEvents } from '../helpers/change-events.js';
import { uniqueName } from '../helpers/names.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch, testKafka } from '../helpers/services.js';
import { startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ROWS = 40;

describe('change topics keep every row', () => {
  it('are compacted by primary key with a tombstone after each delete, and a document added to a running pipeline sees every row', async () => {
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const db = await createTestDatabase(cleanup, 'retention');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE product (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price INT NOT NULL)');
    await sql.query(`INSERT INTO product VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'product ${i + 1}', 100)`).join(', ')}`);
    const pipeline = uniqueName('retention').replaceAll('_', '-');
    const names = `${pipeline}-names`;
    const prices = `${pipeline}-prices`;
    cleanup.add(() => elasticsearch.indices.delete({ index: [names, prices], ignore_unavailable: true }));
    cleanup.add(() => elasticsearch.delete({ index: 'sluice-version-epochs', id: pipeline }, { ignore: [404] }));
    const pipelineFile = (documents: Record<string, unknown>): string =>
      writePipelineFile(
        stringify({
          pipeline,
          source: { mysql: { url: endpoints.mysqlUrl, databases: [db], positionSaveIntervalMs: 500 } },
          kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 2, batch: { maxDelayMs: 20 } },
          elasticsearch: { node: endpoints.elasticsearchNode },
          sink: { pageSize: 50 },
          documents,
        }),
      );
    const namesDocument = { index: names, table: 'product', fields: ['id', 'name'] };
    const first = pipelineFile({ names: namesDocument });
    const source = startSluice(['source', '-c', first], cleanup);
    const firstSink = startSluice(['sink', '-c', first], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    const expectIndex = async (index: string, expected: (id: number) => Record<string, unknown> | undefined): Promise<boolean> => {
      const documents = await readIndexDocuments(engine, index).catch(() => new Map<string, Record<string, unknown>>());
      const [rows] = await sql.query('SELECT id FROM product');
      const ids = (rows as Array<{ id: number }>).map((row) => row.id);
      return documents.size === ids.length && ids.every((id) => {
        const document = documents.get(String(id));
        const wanted = expected(id);
        return document !== undefined && wanted !== undefined && Object.entries(wanted).every(([key, value]) => document[key] === value);
      });
    };
    await waitFor(() => expectIndex(names, (id) => ({ name: `product ${id}` })), { timeoutMs: 90_000, intervalMs: 500, description: 'the names documents' }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- source ---\n${source.output().slice(-3000)}\n--- sink ---\n${firstSink.output().slice(-3000)}`);
    });

    // the change topic is compacted (the broker's default would be delete after 7 days)
    const topic = changeTopic(pipeline, db, 'product');
    const admin = testKafka().admin();
    await admin.connect();
    cleanup.add(() => admin.disconnect());
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] });
    expect(described.resources[0]?.configEntries.find((entry) => entry.configName === 'cleanup.policy')?.configValue).toBe('compact');

    // changes, then deletes: each delete is followed by a tombstone with the row's key
    for (let round = 1; round <= 3; round += 1) await sql.query('UPDATE product SET price = price + 1');
    await sql.query('DELETE FROM product WHERE id IN (39, 40)');
    const collected = await collectChangeEvents(testKafka(), pipeline, [topic], cleanup);
    await waitFor(() => collected.tombstones.length >= 2, { timeoutMs: 30_000, description: 'the tombstones of the deletes' });
    expect(collected.tombstones.map((tombstone) => tombstone.key).sort()).toEqual(['{"id":39}', '{"id":40}']);
    for (const tombstone of collected.tombstones) {
      const deleteEvent = collected.events.find((read) => read.key === tombstone.key && read.event.op === 'd');
      expect(deleteEvent, 'the delete event comes before its tombstone').toBeDefined();
      expect(BigInt(deleteEvent?.offset ?? '0')).toBeLessThan(BigInt(tombstone.offset));
    }
    await waitFor(() => expectIndex(names, (id) => ({ name: `product ${id}` })), { timeoutMs: 60_000, intervalMs: 500, description: 'the deletes in the names index (tombstones tolerated)' });

    // a second document is added to the running pipeline: the sink restarts with it and must see every row,
    // although its consumer group committed everything already
    firstSink.child.kill('SIGTERM');
    expect(await firstSink.exited).toBe(0);
    const second = pipelineFile({ names: namesDocument, prices: { index: prices, table: 'product', fields: ['id', 'name', 'price'] } });
    const secondSink = startSluice(['sink', '-c', second], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    await waitFor(() => expectIndex(prices, (id) => ({ name: `product ${id}`, price: 103 })), { timeoutMs: 90_000, intervalMs: 500, description: 'every row in the added document' }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- sink output ---\n${secondSink.output().slice(-4000)}`);
    });
    await waitFor(() => secondSink.output().includes('backfill done'), { timeoutMs: 30_000, description: 'the backfill to finish' });
    // and it keeps following changes like the first document
    await sql.query('UPDATE product SET price = 7 WHERE id = 1');
    await waitFor(async () => (await readIndexDocuments(engine, prices)).get('1')?.price === 7, { timeoutMs: 30_000, intervalMs: 300, description: 'a later change in the added document' });
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId);
    expect(groups, 'the finished backfill group is deleted').not.toContain(`${pipeline}.sink.backfill.prices`);
    secondSink.child.kill('SIGTERM');
    expect(await secondSink.exited).toBe(0);
  });
});
