import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from 'mysql2/promise';
import type { DocumentDefinition } from '../../src/config/document-definition.js';
import { buildDocuments, type BuiltDocuments } from '../../src/descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { nodeQuery } from '../../src/descriptors/node-query.js';
import { loadDescriptors, openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { readTableCatalog } from '../../src/sources/mysql/table-catalog.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The products document of `database` with `relations`, compiled through a read pool, its node of `table`, and the plan of that node's query for `ids`. */
async function productsOf(database: string, relations: DocumentDefinition['relations'], table: string, ids: readonly number[]): Promise<{ pool: Pool; descriptor: DocumentDescriptor; steps: PlanStep[] }> {
  const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 1);
  cleanup.add(() => pool.end());
  const definitions = { products: { table: 'product', index: 'plan', fields: ['id', 'name'], relations } };
  const [descriptor] = await loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), definitions, { file: 'plan', pipeline: 'plan', defaultDatabase: database, isCaptured: () => true, databases: [database] });
  const node = descriptor?.nodes.find((candidate) => candidate.table.table === table);
  if (descriptor === undefined || node === undefined) throw new Error(`the descriptor has no ${table} node`);
  const query = nodeQuery(node);
  const [plan] = await pool.query(`EXPLAIN ${query.select} FROM ${query.from} WHERE ${query.keyColumn('product_id')} IN (?) ORDER BY ${query.orderBy}`, [ids]);
  return { pool, descriptor, steps: plan as PlanStep[] };
}

/** The documents of `ids`, built through `pool`. */
async function build(pool: Pool, descriptor: DocumentDescriptor, ids: readonly number[]): Promise<BuiltDocuments> {
  const connection = await pool.getConnection();
  return buildDocuments(connection, descriptor, ids.map(String)).finally(() => connection.release());
}

interface PlanStep {
  readonly table: string;
  readonly key: string | null;
  readonly type: string;
}

/**
 * A build query reads the rows of a page of keys (`WHERE key IN (...)`). Right after a bulk load
 * InnoDB's statistics are wrong for a while, and MariaDB's plans with them read whole tables: a
 * many-to-many relation read the related table first and every link row through its other key
 * (200,000 rows per 500 shop products in the bench, 17-24 ms of the server against 1-2), and a
 * list of more than 200 keys, its rows guessed from the statistics, was read by a full scan. The
 * link table is now read first, and read sessions count an IN list's rows in the index.
 */
describe("a relation's query (real MariaDB)", () => {
  it('reads the link table first, on its key, even when its statistics say it is empty', async () => {
    const database = await createTestDatabase(cleanup, 'link_plan');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE product (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
    await sql.query('CREATE TABLE tag (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
    // statistics frozen as of the empty table: what a link table looks like to the optimizer right after a bulk load
    await sql.query('CREATE TABLE product_tag (product_id INT NOT NULL, tag_id INT NOT NULL, PRIMARY KEY (product_id, tag_id), KEY (tag_id)) STATS_PERSISTENT = 1, STATS_AUTO_RECALC = 0');
    await sql.query('ANALYZE TABLE product_tag');
    await sql.query("INSERT INTO tag SELECT seq, CONCAT('tag ', seq) FROM seq_1_to_100");
    await sql.query("INSERT INTO product SELECT seq, CONCAT('product ', seq) FROM seq_1_to_5000");
    await sql.query('INSERT INTO product_tag SELECT seq, 1 + seq % 100 FROM seq_1_to_5000 UNION ALL SELECT seq, 1 + (seq + 50) % 100 FROM seq_1_to_5000');

    const ids = Array.from({ length: 500 }, (_, index) => index + 1);
    const { pool, descriptor, steps } = await productsOf(database, { tags: { type: 'manyToMany', table: 'tag', through: { table: 'product_tag', foreignKey: 'product_id', otherKey: 'tag_id' }, scalar: 'name' } }, 'tag', ids);
    expect(steps.map((step) => step.table)).toEqual(['product_tag', 'tag']);
    expect(steps[0]).toMatchObject({ key: 'PRIMARY', type: 'range' });
    expect(steps[1]).toMatchObject({ key: 'PRIMARY', type: 'eq_ref' });

    const built = await build(pool, descriptor, ids);
    expect(built.documents).toHaveLength(500);
    const product = built.documents.find((document) => document.id === '7');
    expect(product?.source).toMatchObject({ id: 7, name: 'product 7', tags: ['tag 8', 'tag 58'] });
  }, 60_000);

  it('reads the rows of a page of keys through the index on their column, even when the statistics say each key has every row', async () => {
    const database = await createTestDatabase(cleanup, 'list_plan');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE product (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
    await sql.query('CREATE TABLE review (id INT PRIMARY KEY, product_id INT NOT NULL, body VARCHAR(200), KEY (product_id)) STATS_PERSISTENT = 1, STATS_AUTO_RECALC = 0');
    await sql.query("INSERT INTO product SELECT seq, CONCAT('product ', seq) FROM seq_1_to_10000");
    await sql.query("INSERT INTO review SELECT seq, 1 + seq % 10000, CONCAT('review ', seq) FROM seq_1_to_20000");
    // statistics as a bulk load can leave them: the table's size right, and one value of product_id for all its rows
    await sql.query('ANALYZE TABLE review');
    await sql.query("UPDATE mysql.innodb_index_stats SET stat_value = 1 WHERE database_name = ? AND table_name = 'review' AND index_name = 'product_id' AND stat_name = 'n_diff_pfx01'", [database]);
    // a rename reopens the table: its statistics are read again from those rows
    await sql.query('RENAME TABLE review TO review_renamed, review_renamed TO review');

    const ids = Array.from({ length: 500 }, (_, index) => index + 1001);
    const { pool, descriptor, steps } = await productsOf(database, { reviews: { type: 'oneToMany', table: 'review', foreignKey: 'product_id', fields: ['id', 'body'] } }, 'review', ids);
    expect(steps[0]).toMatchObject({ table: 'review', key: 'product_id', type: 'range' });

    const built = await build(pool, descriptor, ids);
    expect(built.documents.find((document) => document.id === '1001')?.source).toMatchObject({ id: 1001, reviews: [{ id: 1000, body: 'review 1000' }, { id: 11000, body: 'review 11000' }] });
  }, 60_000);
});
