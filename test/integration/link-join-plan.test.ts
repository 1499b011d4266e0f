import { afterEach, describe, expect, it } from 'vitest';
import { buildDocuments } from '../../src/descriptors/build-documents.js';
import { nodeQuery } from '../../src/descriptors/node-query.js';
import { loadDescriptors, openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { readTableCatalog } from '../../src/sources/mysql/table-catalog.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * A many-to-many relation's rows are read from the link table, filtered on its parent column,
 * joined to the related table. Left to the optimizer, MariaDB read the related table first and the
 * link table through its other key whenever the link table's statistics said it was small (as
 * they do right after a bulk load, until InnoDB recounts): every link row was read for every
 * page of documents, 200,000 rows per 500 products in the bench's shop (17-24 ms of the server
 * against 1-2), so a full sync was bound by MariaDB. The link table is now read first, whatever
 * the statistics say.
 */
describe("a many-to-many relation's query (real MariaDB)", () => {
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

    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 1);
    cleanup.add(() => pool.end());
    const definitions = { products: { table: 'product', index: 'link-plan', fields: ['id', 'name'], relations: { tags: { type: 'manyToMany' as const, table: 'tag', through: { table: 'product_tag', foreignKey: 'product_id', otherKey: 'tag_id' }, scalar: 'name' } } } };
    const [descriptor] = await loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), definitions, { file: 'link-plan', pipeline: 'link-plan', defaultDatabase: database, isCaptured: () => true, databases: [database] });
    const tags = descriptor?.nodes.find((node) => node.table.table === 'tag');
    if (descriptor === undefined || tags === undefined) throw new Error('the descriptor has no tag node');

    const ids = Array.from({ length: 500 }, (_, index) => index + 1);
    const query = nodeQuery(tags);
    const [plan] = await sql.query(`EXPLAIN ${query.select} FROM ${query.from} WHERE ${query.keyColumn('product_id')} IN (?) ORDER BY ${query.orderBy}`, [ids]);
    const steps = plan as Array<{ table: string; key: string | null; type: string }>;
    expect(steps.map((step) => step.table)).toEqual(['product_tag', 'tag']);
    expect(steps[0]).toMatchObject({ key: 'PRIMARY', type: 'range' });
    expect(steps[1]).toMatchObject({ key: 'PRIMARY', type: 'eq_ref' });

    const connection = await pool.getConnection();
    const built = await buildDocuments(connection, descriptor, ids.map(String)).finally(() => connection.release());
    expect(built.documents).toHaveLength(500);
    const product = built.documents.find((document) => document.id === '7');
    expect(product?.source).toMatchObject({ id: 7, name: 'product 7', tags: ['tag 8', 'tag 58'] });
  }, 60_000);
});
