import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { lastValueFrom, tap } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildDocuments, type BuiltDocuments } from '../../src/descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { BulkChannel, type BulkOutcome } from '../../src/sinks/elasticsearch/bulk-channel.js';
import { ensureDocumentIndex } from '../../src/sinks/elasticsearch/document-index.js';
import { expandPage } from '../../src/sinks/expand-page.js';
import type { DecodedPage } from '../../src/sinks/sink-page.js';
import { rootIdsOfChange } from '../../src/descriptors/expand-change.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { readTopicToEnd } from '../../src/streams/read-topic-to-end.js';
import { changeTopic, deadLetterTopic } from '../../src/streams/topic-names.js';
import type { DeadLetter } from '../../src/sinks/dead-letters.js';
import { DeadLetterIndex, deadLetterIndexName } from '../../src/sinks/indexes/dead-letter-index.js';
import type { EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { ENGINE_NODES, testEngine, testEngines } from '../helpers/engines.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { compileTestDocument } from '../helpers/descriptors.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testKafka } from '../helpers/services.js';
import { runCli, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A pipeline file for `database` with the given documents, writing to `engine`; returns its path and pipeline name. */
function pipelineFile(engine: EngineKind, database: string, documents: Record<string, unknown>): { file: string; pipeline: string } {
  const pipeline = database.replaceAll('_', '-');
  const file = writePipelineFile(
    stringify({
      pipeline,
      source: { mysql: { url: endpoints.mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
      kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 2, batch: { maxDelayMs: 20 } },
      engine,
      elasticsearch: { node: ENGINE_NODES[engine] },
      // these tests are about streamed changes (dead letters name the snapshot event): no first load
      sink: { pageSize: 100, firstLoad: false },
      documents,
    }),
  );
  return { file, pipeline };
}

function dropIndexAfterwards(elasticsearch: SearchEngine, index: string): void {
  cleanup.add(() => elasticsearch.deleteIndex(index));
}

async function deadLetters(topic: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await readTopicToEnd(testKafka(), topic, (message) => {
    if (message.value !== null) letters.push(JSON.parse(message.value.toString()) as DeadLetter);
  });
  return letters;
}

/**
 * A database `name` where every one of `products` products is in category 1 ('all'; category 2,
 * 'none', has none), the products document embedding its category's name, and a read pool on it.
 */
async function categoryFanOut(name: string, products: number): Promise<{ database: string; pool: ReturnType<typeof openReadPool>; descriptor: DocumentDescriptor }> {
  const database = await createTestDatabase(cleanup, name);
  const sql = await openMysql(cleanup, database);
  await sql.query('CREATE TABLE category (id INT PRIMARY KEY, name VARCHAR(40))');
  await sql.query('CREATE TABLE product (id INT PRIMARY KEY, name VARCHAR(40), category_id INT, KEY (category_id))');
  await sql.query("INSERT INTO category VALUES (1, 'all'), (2, 'none')");
  await sql.query(`INSERT INTO product SELECT seq, CONCAT('p', seq), 1 FROM ${database}.seq_1_to_${products}`);
  const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
  cleanup.add(() => pool.end());
  const descriptor = await compileTestDocument(pool, { database, pipeline: name }, {
    products: { table: 'product', relations: { category: { type: 'manyToOne', table: 'category', foreignKey: 'category_id', scalar: 'name' } } },
  });
  return { database, pool, descriptor };
}

describe.each(testEngines())('the document sink on %s', (kind) => {
  it('dead-letters rejected documents and undecodable messages with the reason and the trigger, and keeps going', async () => {
    const database = await createTestDatabase(cleanup, 'dead');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), size VARCHAR(20))');
    await sql.query("INSERT INTO items VALUES (1, 'one', '10'), (2, 'two', 'huge'), (3, 'three', '30')");
    const elasticsearch = testEngine(kind, cleanup);
    const { file, pipeline } = pipelineFile(kind, database, { items: { table: 'items', mappings: { properties: { size: { type: 'integer' } } } } });
    const index = `${pipeline}-items`;
    dropIndexAfterwards(elasticsearch, index);
    const run = startSluice(['run', '-c', file], cleanup);
    const letterTopic = deadLetterTopic(pipeline);
    const letters = await waitFor(async () => {
      const found = await deadLetters(letterTopic).catch(() => []);
      return found.length >= 1 ? found : undefined;
    }, { timeoutMs: 60_000, description: `a dead letter (output: ${run.output().slice(-1000)})` });
    expect(letters[0]).toMatchObject({ kind: 'rejected-document', index, documentId: '2', httpStatus: 400, document: { id: 2, name: 'two', size: 'huge' } });
    expect(letters[0]?.reason).toMatch(/document_parsing_exception|mapper_parsing_exception/);
    expect(letters[0]?.trigger).toMatchObject({ topic: changeTopic(pipeline, database, 'items'), table: `${database}.items`, op: 'r' });

    // garbage in a change topic: dead-lettered, and the following change is still indexed
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: changeTopic(pipeline, database, 'items'), messages: [{ key: '[99]', value: Buffer.from('not an avro change event') }] });
    await producer.disconnect();
    await sql.query("INSERT INTO items VALUES (4, 'four', '40')");
    await waitFor(async () => (await readIndexDocuments(elasticsearch, index)).has('4'), { timeoutMs: 60_000, description: 'item 4 indexed after the garbage' });
    const all = await waitFor(async () => {
      const found = await deadLetters(letterTopic);
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 30_000, description: 'the undecodable message dead-lettered' });
    const undecodable = all.find((letter) => letter.kind === 'undecodable-message');
    expect(undecodable?.trigger).toMatchObject({ topic: changeTopic(pipeline, database, 'items'), key: '[99]' });
    expect(Buffer.from(undecodable?.value ?? '', 'base64').toString()).toBe('not an avro change event');
    expect(undecodable?.reason).toBeTruthy();
    const indexed = await readIndexDocuments(elasticsearch, index);
    expect([...indexed.keys()].sort()).toEqual(['1', '3', '4']);
    // both letters are also in the monthly dead-letter index, searchable by time
    const letterIndex = new DeadLetterIndex(elasticsearch, pipeline, { maxAgeMs: 90 * 86_400_000 });
    cleanup.add(() => elasticsearch.deleteIndex(`${deadLetterIndexName(pipeline)}-*`));
    await elasticsearch.refresh(deadLetterIndexName(pipeline));
    const searched = await letterIndex.search(Date.now() - 3_600_000, Date.now());
    expect(searched.map((letter) => letter.kind).sort()).toEqual(['rejected-document', 'undecodable-message']);
    expect(searched.find((letter) => letter.kind === 'rejected-document')).toMatchObject({ documentId: '2', httpStatus: 400, trigger: { table: `${database}.items` } });
    expect(run.child.exitCode).toBeNull();
  }, 120_000);

  it('finds the documents of rows removed by ON DELETE CASCADE and SET NULL, which leave no binlog event', async () => {
    const database = await createTestDatabase(cleanup, 'cascade');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE author (id INT PRIMARY KEY, name VARCHAR(40))');
    await sql.query('CREATE TABLE tag (id INT PRIMARY KEY, name VARCHAR(40))');
    await sql.query('CREATE TABLE post (id INT PRIMARY KEY, title VARCHAR(40), author_id INT NULL, FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE SET NULL)');
    await sql.query('CREATE TABLE post_tag (post_id INT, tag_id INT, PRIMARY KEY (post_id, tag_id), FOREIGN KEY (post_id) REFERENCES post (id) ON DELETE CASCADE, FOREIGN KEY (tag_id) REFERENCES tag (id) ON DELETE CASCADE)');
    await sql.query("INSERT INTO author VALUES (1, 'ann'), (2, 'bob')");
    await sql.query("INSERT INTO tag VALUES (1, 'red'), (2, 'blue')");
    await sql.query("INSERT INTO post VALUES (1, 'p1', 1), (2, 'p2', 1), (3, 'p3', 2)");
    await sql.query('INSERT INTO post_tag VALUES (1, 1), (1, 2), (2, 1), (3, 2)');
    const elasticsearch = testEngine(kind, cleanup);
    const { file, pipeline } = pipelineFile(kind, database, {
      posts: {
        table: 'post',
        fields: ['title'],
        relations: {
          author: { type: 'manyToOne', table: 'author', foreignKey: 'author_id', scalar: 'name' },
          tags: { type: 'manyToMany', table: 'tag', through: { table: 'post_tag', foreignKey: 'post_id', otherKey: 'tag_id' }, scalar: 'name' },
        },
      },
    });
    const index = `${pipeline}-posts`;
    dropIndexAfterwards(elasticsearch, index);
    const run = startSluice(['run', '-c', file], cleanup);
    const view = async (): Promise<Record<string, unknown>> => {
      const documents = await readIndexDocuments(elasticsearch, index);
      return Object.fromEntries([...documents].map(([id, source]) => [id, { title: source.title, author: source.author, tags: source.tags }]));
    };
    await waitFor(async () => JSON.stringify(await view()) === JSON.stringify({
      1: { title: 'p1', author: 'ann', tags: ['red', 'blue'] },
      2: { title: 'p2', author: 'ann', tags: ['red'] },
      3: { title: 'p3', author: 'bob', tags: ['blue'] },
    }), { timeoutMs: 60_000, description: `the first build (output: ${run.output().slice(-1000)})` });

    await sql.query('DELETE FROM tag WHERE id = 1'); // cascades to post_tag (1,1) and (2,1) without events
    await sql.query('DELETE FROM author WHERE id = 1'); // sets post.author_id to NULL for posts 1 and 2 without events
    const expected = { 1: { title: 'p1', author: null, tags: ['blue'] }, 2: { title: 'p2', author: null, tags: [] }, 3: { title: 'p3', author: 'bob', tags: ['blue'] } };
    let last: unknown;
    await waitFor(async () => JSON.stringify((last = await view())) === JSON.stringify(expected), { timeoutMs: 60_000, description: 'the cascaded changes in the documents' }).catch((error: unknown) => {
      throw new Error(`${String(error)}: last ${JSON.stringify(last)}`);
    });
  }, 120_000);

  it('pages a fan-out of one row to 100,000 roots with bounded pages', async () => {
    const { database, pool, descriptor } = await categoryFanOut('fanout', 100_000);
    const change = { db: database, table: 'category', op: 'u' as const, before: { id: 1, name: 'all' }, after: { id: 1, name: 'everything' } };
    const seen = new Set<string>();
    let pages = 0;
    let largest = 0;
    for await (const ids of rootIdsOfChange(descriptor, change, { queries: pool, pageSize: 5000 })) {
      pages += 1;
      largest = Math.max(largest, ids.length);
      for (const id of ids) seen.add(id);
    }
    expect(seen.size).toBe(100_000);
    expect(largest).toBeLessThanOrEqual(5000);
    expect(pages).toBe(20);
    // a category no product uses reaches no root
    const unused = { ...change, before: { id: 2, name: 'none' }, after: { id: 2, name: 'nothing' } };
    let unusedIds = 0;
    for await (const ids of rootIdsOfChange(descriptor, unused, { queries: pool, pageSize: 5000 })) unusedIds += ids.length;
    expect(unusedIds).toBe(0);
  }, 120_000);
});

describe('the expansion of a page', () => {
  it('hands over no more ids while the builders have no room, and all of them once they do', async () => {
    const { database, pool, descriptor } = await categoryFanOut('fanroom', 5000);
    const trigger = { topic: 'changes', partition: 0, offset: '7' };
    // expandPage reads an event's source, op and images only
    const event = { source: { db: database, table: 'category' }, op: 'u', before: { id: 1, name: 'all' }, after: { id: 1, name: 'everything' } };
    const page = { page: { topic: 'changes', partition: 0 }, changes: [{ event, trigger }], undecodable: 0 } as unknown as DecodedPage;
    let opened!: () => void;
    const closed = new Promise<void>((resolve) => (opened = resolve));
    let asked = 0;
    const received: string[] = [];
    const expanded = lastValueFrom(
      expandPage(page, {
        descriptors: [descriptor],
        pool,
        buildBatchSize: 500,
        retryPolicy: TEST_RETRY_POLICY,
        logger: pino({ level: 'silent' }),
        lookupReferences: () => (async function* () {})(),
        beforeLookup: () => Promise.resolve(),
        // room for two pages of ids, then none until opened
        roomForIds: () => {
          asked += 1;
          return asked <= 2 ? Promise.resolve() : closed;
        },
      }).pipe(tap(({ ids }) => received.push(...ids))),
    );
    await waitFor(() => asked === 3, { description: 'the expansion asking for room a third time' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toHaveLength(1000);
    opened();
    await expanded;
    expect(new Set(received).size).toBe(5000);
  }, 60_000);
});

describe.each(testEngines())('no stale overwrite on %s', (kind) => {
  it('keeps the document of the newer snapshot when an older build is written after it', async () => {
    const database = await createTestDatabase(cleanup, 'stale');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40))');
    await sql.query("INSERT INTO item VALUES (1, 'old'), (2, 'gone soon')");
    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
    cleanup.add(() => pool.end());
    const descriptor = await compileTestDocument(pool, { database, pipeline: 'stale' }, { items: { table: 'item' } });
    const elasticsearch = testEngine(kind, cleanup);
    const index = `${database.replaceAll('_', '-')}-items`;
    dropIndexAfterwards(elasticsearch, index);
    await ensureDocumentIndex(elasticsearch, { index, gcDeletes: '1h' });
    const build = async (): Promise<BuiltDocuments> => {
      const connection = await pool.getConnection();
      try {
        return await buildDocuments(connection, descriptor, ['1', '2']);
      } finally {
        connection.release();
      }
    };
    const older = await build();
    await sql.query("UPDATE item SET name = 'new' WHERE id = 1");
    await sql.query('DELETE FROM item WHERE id = 2');
    const newer = await build();
    expect(newer.version).toBeGreaterThan(older.version);
    expect(newer.missing).toEqual(['2']);
    // the JSON made once for hashing and writing is exactly the document
    for (const document of [...older.documents, ...newer.documents]) expect(document.json).toBe(JSON.stringify(document.source));

    const channel = new BulkChannel(elasticsearch, { onRejected: () => Promise.reject(new Error('nothing is rejected here')), logger: pino({ level: 'silent' }), maxAgeMs: 0 });
    const write = (page: BuiltDocuments): Promise<BulkOutcome[]> =>
      Promise.all([
        ...page.documents.map((document) => channel.write({ kind: 'index', index, id: document.id, document: document.source, version: page.version })),
        ...page.missing.map((id) => channel.write({ kind: 'delete', index, id, version: page.version })),
      ]);
    expect((await write(newer)).map((outcome) => outcome.status)).toEqual(['acknowledged', 'acknowledged']);
    // the slow writer arrives last: both its writes lose, neither the update nor the delete is undone
    expect((await write(older)).map((outcome) => outcome.status)).toEqual(['superseded', 'superseded']);
    await channel.close();
    const documents = await readIndexDocuments(elasticsearch, index);
    expect([...documents.keys()]).toEqual(['1']);
    expect(documents.get('1')).toMatchObject({ id: 1, name: 'new' });
  });
});

describe.each(testEngines())('the sink at start on %s', (kind) => {
  it('waits with retries for an engine that is not reachable yet, and stops with exit code 2 on mappings the engine refuses', async () => {
    const database = await createTestDatabase(cleanup, 'start');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40))');
    const { file } = pipelineFile(kind, database, { items: { table: 'item' } });
    const unreachable = writePipelineFile(readFileSync(file, 'utf8').replace(ENGINE_NODES[kind], 'http://127.0.0.1:1'));
    const waiting = startSluice(['sink', '-c', unreachable], cleanup);
    await waitFor(() => /preparing index .* failed; retrying/.test(waiting.output()), { timeoutMs: 30_000, description: `a retry (output: ${waiting.output()})` });
    expect(waiting.child.exitCode).toBeNull();

    const elasticsearch = testEngine(kind, cleanup);
    const refused = pipelineFile(kind, database, { items: { table: 'item', mappings: { properties: { name: { type: 'no-such-type' } } } } });
    dropIndexAfterwards(elasticsearch, `${refused.pipeline}-items`);
    const result = await runCli(['sink', '-c', refused.file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the search engine refused the settings or mappings of documents.items of ${refused.file}`);
    expect(result.stderr).toContain('no-such-type');
  }, 60_000);
});
