import type { Connection } from 'mysql2/promise';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import { DocumentPipeline } from '../../src/pipeline/document-pipeline.js';
import { hasCommittedOffsets } from '../../src/pipeline/document-backfill.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { ENGINE_NODES, testEngine } from '../helpers/engines.js';
import { diffDocuments } from '../helpers/sakila-oracle.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, startStoppable, testKafka } from '../helpers/services.js';
import { startSluice, writePipelineFile, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The first load (src/pipeline/first-load.ts) on the plain Elasticsearch node (no painless
 * needed): a new pipeline over a shop whose products each have a shared category, 2 tags and
 * 2 reviews builds each product once, ends equal to a truth read by SQL, loses no change made
 * during the load, and a stop in the middle of it ends correct after a restart.
 */

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ENGINE = 'elasticsearch' as const;

interface Shop {
  readonly database: string;
  readonly pipeline: string;
  readonly file: string;
  readonly index: string;
  readonly sql: Connection;
}

/** A shop of `products` products (category 1..10, 2 tags of 20, 2 reviews each) and a pipeline file over it. */
async function createShop(products: number): Promise<Shop> {
  const database = await createTestDatabase(cleanup, 'first_load');
  const sql = await openMysql(cleanup, database);
  const statements = [
    'CREATE TABLE category (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL)',
    'CREATE TABLE tag (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)',
    'CREATE TABLE product (id INT PRIMARY KEY, name VARCHAR(120) NOT NULL, category_id INT NOT NULL, KEY (category_id))',
    'CREATE TABLE product_tag (product_id INT NOT NULL, tag_id INT NOT NULL, PRIMARY KEY (product_id, tag_id), KEY (tag_id))',
    'CREATE TABLE review (id INT PRIMARY KEY, product_id INT NOT NULL, rating TINYINT NOT NULL, title VARCHAR(120), KEY (product_id))',
    "INSERT INTO category SELECT seq, CONCAT('category ', seq) FROM seq_1_to_10",
    "INSERT INTO tag SELECT seq, CONCAT('tag-', seq) FROM seq_1_to_20",
    `INSERT INTO product SELECT seq, CONCAT('product ', seq), 1 + seq % 10 FROM seq_1_to_${products}`,
    `INSERT INTO product_tag SELECT seq, 1 + seq % 10 FROM seq_1_to_${products}`,
    `INSERT INTO product_tag SELECT seq, 11 + seq % 10 FROM seq_1_to_${products}`,
    `INSERT INTO review SELECT seq, (seq + 1) DIV 2, 1 + seq % 5, CONCAT('review ', seq) FROM seq_1_to_${products * 2}`,
  ];
  for (const statement of statements) await sql.query(statement);
  const pipeline = database.replaceAll('_', '-');
  const file = writePipelineFile(
    stringify({
      pipeline,
      source: { mysql: { url: endpoints.mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
      kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 2, batch: { maxDelayMs: 20 } },
      engine: ENGINE,
      elasticsearch: { node: ENGINE_NODES[ENGINE] },
      sink: { pageSize: 200, buildBatchSize: 100 },
      documents: {
        products: {
          table: 'product',
          fields: ['id', 'name'],
          relations: {
            category: { type: 'manyToOne', table: 'category', foreignKey: 'category_id', scalar: 'name' },
            tags: { type: 'manyToMany', table: 'tag', through: { table: 'product_tag', foreignKey: 'product_id', otherKey: 'tag_id' }, scalar: 'name' },
            reviews: { type: 'oneToMany', table: 'review', foreignKey: 'product_id', fields: ['id', 'rating', 'title'] },
          },
        },
      },
    }),
  );
  return { database, pipeline, file, index: `${pipeline}-products`, sql };
}

/** The product documents as SQL says they are (written independently of sluice's builder). */
async function expectedProducts(sql: Connection): Promise<Map<string, Record<string, unknown>>> {
  const [products] = await sql.query('SELECT p.id, p.name, c.name AS category FROM product p LEFT JOIN category c ON c.id = p.category_id ORDER BY p.id');
  const [tags] = await sql.query('SELECT pt.product_id, t.name FROM product_tag pt JOIN tag t ON t.id = pt.tag_id ORDER BY pt.product_id, t.id');
  const [reviews] = await sql.query('SELECT id, product_id, rating, title FROM review ORDER BY product_id, id');
  const documents = new Map<string, Record<string, unknown>>();
  for (const row of products as Array<{ id: number; name: string; category: string | null }>) {
    documents.set(String(row.id), { id: row.id, name: row.name, category: row.category, tags: [], reviews: [] });
  }
  for (const row of tags as Array<{ product_id: number; name: string }>) (documents.get(String(row.product_id))?.tags as string[] | undefined)?.push(row.name);
  for (const row of reviews as Array<{ id: number; product_id: number; rating: number; title: string }>) {
    (documents.get(String(row.product_id))?.reviews as unknown[] | undefined)?.push({ id: row.id, rating: row.rating, title: row.title });
  }
  return documents;
}

async function differences(engine: SearchEngine, shop: Shop): Promise<string[]> {
  return diffDocuments(await expectedProducts(shop.sql), await readIndexDocuments(engine, shop.index).catch(() => new Map<string, Record<string, unknown>>()), { limit: 10 });
}

async function waitInStep(engine: SearchEngine, shop: Shop, source: SluiceProcess): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      async () => {
        last = await differences(engine, shop);
        return last.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, description: 'the index equal to SQL' },
    );
  } catch (error) {
    throw new Error(`the index never equalled SQL; differences: ${last.join('; ')} (source: ${source.output().slice(-800)})`, { cause: error });
  }
}

/**
 * Starts an in-process sink on the shop (its stats are read by the test; its log lines are kept
 * for failure messages), stopped by cleanup or `stop`. `stopAfterFirstLoadWrites`: the sink builds
 * in small batches, with small bulk requests, and is stopped from inside the first load once that
 * many writes settled, so the stop lands mid-load however fast the machine is.
 */
function startSink(shop: Shop, engine: SearchEngine, options: { readonly stopAfterFirstLoadWrites?: number } = {}): { sink: DocumentPipeline; stop: () => Promise<void>; output: () => string } {
  const config = loadPipelineConfig(shop.file);
  const controller = new AbortController();
  const limit = options.stopAfterFirstLoadWrites;
  let firstLoadWrites = 0;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const settings = documentPipelineSettings(config, shop.file, logger);
  const stopMidLoad =
    limit === undefined
      ? {}
      : {
          buildBatchSize: 50,
          // bulk requests of 1 KiB hold the bulk channel's backpressure mark at 4 KiB of unsettled
          // documents, so the load cannot queue all of them before the first write settles
          bulk: { ...settings.bulk, maxBytes: 1024 },
          onFirstLoadWritten: (): void => {
            firstLoadWrites += 1;
            if (firstLoadWrites >= limit) controller.abort();
          },
        };
  const sink = new DocumentPipeline(testKafka(), engine, { ...settings, sessionTimeoutMs: 10_000, ...stopMidLoad });
  const stop = startStoppable(cleanup, (signal) => sink.run(signal), controller);
  return { sink, stop, output: () => lines.join('') };
}

function groupHasOffsets(shop: Shop): Promise<boolean> {
  return withAdmin((admin) => hasCommittedOffsets(admin, sinkGroupId(shop.pipeline), ['product', 'category', 'tag', 'product_tag', 'review'].map((table) => changeTopic(shop.pipeline, shop.database, table))));
}

async function withAdmin<T>(work: (admin: ReturnType<ReturnType<typeof testKafka>['admin']>) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Random changes of every kind, one at a time, until `stop` resolves; returns how many were made. */
async function randomWorkload(sql: Connection, products: number, until: () => boolean, seed = 7, idBase = 0): Promise<number> {
  // mulberry32
  let state = seed >>> 0;
  const random = (n: number): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return 1 + (((t ^ (t >>> 14)) >>> 0) % n);
  };
  let nextProduct = products + 1 + idBase;
  let nextReview = products * 2 + 1 + idBase;
  let made = 0;
  while (!until()) {
    const id = random(products);
    switch (random(8)) {
      case 1:
        await sql.query('UPDATE product SET name = ? WHERE id = ?', [`product ${id} v${made}`, id]);
        break;
      case 2:
        {
          const category = random(10);
          await sql.query('UPDATE category SET name = ? WHERE id = ?', [`category ${category} v${made}`, category]);
        }
        break;
      case 3:
        await sql.query('INSERT IGNORE INTO product_tag VALUES (?, ?)', [id, random(20)]);
        break;
      case 4:
        await sql.query('DELETE FROM product_tag WHERE product_id = ? ORDER BY tag_id LIMIT 1', [id]);
        break;
      case 5:
        await sql.query('INSERT INTO review VALUES (?, ?, ?, ?)', [nextReview, id, random(5), `new review ${nextReview}`]);
        nextReview += 1;
        break;
      case 6:
        await sql.query('DELETE FROM review WHERE product_id = ? ORDER BY id LIMIT 1', [id]);
        break;
      case 7:
        await sql.query('DELETE FROM product WHERE id = ?', [id]);
        break;
      default:
        await sql.query('INSERT INTO product VALUES (?, ?, ?)', [nextProduct, `product ${nextProduct}`, random(10)]);
        nextProduct += 1;
    }
    made += 1;
  }
  return made;
}

describe('the first load of a new pipeline', () => {
  it('builds each product once (not once per snapshot row of its children), equal to SQL, then streams', async () => {
    const products = 1_000;
    const shop = await createShop(products);
    const engine = testEngine(ENGINE, cleanup);
    cleanup.add(() => engine.deleteIndex(shop.index));
    const source = startSluice(['source', '-c', shop.file], cleanup);
    const { sink } = startSink(shop, engine);
    await waitFor(() => sink.stats.firstLoad.done, { timeoutMs: 120_000, description: 'the first load done' });
    expect(sink.stats.firstLoad.report).toMatchObject({ documents: ['products'], roots: products, indexed: products, deleted: 0 });
    expect(sink.stats.firstLoad.documents).toBe(products);
    expect(await groupHasOffsets(shop)).toBe(true);
    await waitInStep(engine, shop, source);

    // one change after the first load: exactly one more build; the 7,000 snapshot rows before the start offsets built nothing
    await shop.sql.query("INSERT INTO review VALUES (100000, 1, 5, 'after the first load')");
    await waitInStep(engine, shop, source);
    await waitFor(() => sink.stats.documents === products + 1, { timeoutMs: 30_000, description: `${products + 1} documents written` });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(sink.stats.documents).toBe(products + 1);
    expect(sink.stats.changes).toBe(1);
  }, 240_000);

  it('loses no change made during the first load', async () => {
    const products = 3_000;
    const shop = await createShop(products);
    const engine = testEngine(ENGINE, cleanup);
    cleanup.add(() => engine.deleteIndex(shop.index));
    const source = startSluice(['source', '-c', shop.file], cleanup);
    const { sink } = startSink(shop, engine);
    const writer = await openMysql(cleanup, shop.database);
    await waitFor(() => sink.stats.firstLoad.documents > 0 || sink.stats.firstLoad.done, { timeoutMs: 120_000, intervalMs: 20, description: 'the first load writing' });
    const made = await randomWorkload(writer, products, () => sink.stats.firstLoad.done);
    expect(made).toBeGreaterThan(0);
    process.stdout.write(`first load with changes: ${made} changes made during the first load\n`);
    // a few more after it, while it starts streaming
    let more = 0;
    await randomWorkload(writer, products, () => (more += 1) > 200, 11, 100_000);
    await waitInStep(engine, shop, source);
  }, 240_000);

  it('stopped in the middle, starts again and ends equal to SQL (rows deleted meanwhile are removed)', async () => {
    const products = 3_000;
    const shop = await createShop(products);
    const engine = testEngine(ENGINE, cleanup);
    cleanup.add(() => engine.deleteIndex(shop.index));
    const source = startSluice(['source', '-c', shop.file], cleanup);
    const sinks: Array<ReturnType<typeof startSink>> = [];
    try {
      const first = startSink(shop, engine, { stopAfterFirstLoadWrites: 100 });
      sinks.push(first);
      await waitFor(() => first.sink.stats.firstLoad.documents >= 100, { timeoutMs: 120_000, intervalMs: 10, description: 'the first load writing' });
      await first.stop();
      expect(first.sink.stats.firstLoad.done).toBe(false);
      // nothing committed: the next start does the first load again
      expect(await groupHasOffsets(shop)).toBe(false);
      await engine.refresh(shop.index);
      const written = await readIndexDocuments(engine, shop.index);
      process.stdout.write(`first load stopped in the middle: ${written.size} of ${products} documents written\n`);
      expect(written.size).toBeGreaterThan(0);
      expect(written.size).toBeLessThan(products);
      // rows of documents already written are deleted before the second start: only the first load's sweep can remove them
      const gone = [...written.keys()].slice(0, 20);
      await shop.sql.query(`DELETE FROM product WHERE id IN (${gone.map(Number).join(',')})`);
      await shop.sql.query("UPDATE category SET name = 'renamed between the starts' WHERE id = 3");

      const second = startSink(shop, engine);
      sinks.push(second);
      await waitFor(() => second.sink.stats.firstLoad.done, { timeoutMs: 120_000, description: 'the second first load done' });
      expect(second.sink.stats.firstLoad.report).toMatchObject({ documents: ['products'], roots: products - gone.length });
      expect(second.sink.stats.firstLoad.report?.deleted).toBeGreaterThanOrEqual(gone.length);
      await waitInStep(engine, shop, source);
    } catch (error) {
      const logs = sinks.map((sink, index) => `--- sink ${index + 1} (stats ${JSON.stringify(sink.sink.stats.firstLoad)}) ---\n${sink.output().slice(-3000)}`).join('\n');
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`, { cause: error });
    }
  }, 240_000);
});
