/**
 * The scaled data set: a `shop` database of N products (the document roots), each with children
 * of every relation kind, generated in seconds with the MariaDB sequence engine:
 * - category (manyToOne, shared): products 1..N/4 all belong to category 1 (the fan-out row),
 *   the others are spread over categories 2..100;
 * - tags through product_tag (manyToMany): two tags per product, out of 100;
 * - reviews (oneToMany): two per product.
 * A product document is about 0.8 KB of JSON with 5 embedded rows.
 */
import type { Connection } from 'mysql2/promise';
import type { DocumentDefinition } from '../../src/config/document-definition.js';

/** The products document of the shop database. */
export const SHOP_DOCUMENTS: Readonly<Record<string, Omit<DocumentDefinition, 'index'>>> = {
  products: {
    table: 'product',
    fields: ['id', 'sku', 'name', 'description', 'price', 'stock', 'rev', 'updated_at'],
    relations: {
      category: { type: 'manyToOne', table: 'category', foreignKey: 'category_id', fields: ['name', 'description'] },
      tags: { type: 'manyToMany', table: 'tag', through: { table: 'product_tag', foreignKey: 'product_id', otherKey: 'tag_id' }, scalar: 'name' },
      reviews: { type: 'oneToMany', table: 'review', foreignKey: 'product_id', fields: ['rating', 'title', 'body'] },
    },
  },
};

/** The id of the category shared by a quarter of the products. */
export const FAN_OUT_CATEGORY = 1;

/** How many products category 1 feeds. */
export function fanOutRoots(roots: number): number {
  return Math.floor(roots / 4);
}

/** Row counts of a generated shop. */
export interface ShopCounts {
  readonly products: number;
  readonly productTags: number;
  readonly reviews: number;
  readonly categories: number;
  readonly tags: number;
}

/** The shop's tables, each with its change topic. */
export const SHOP_TABLES = ['product', 'category', 'tag', 'product_tag', 'review'] as const;

/** Creates `database` and fills it with `roots` products and their children. */
export async function createShop(sql: Connection, database: string, roots: number): Promise<ShopCounts> {
  const db = `\`${database}\``;
  const quarter = fanOutRoots(roots);
  const statements = [
    `CREATE DATABASE ${db}`,
    `CREATE TABLE ${db}.category (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, description VARCHAR(255))`,
    `CREATE TABLE ${db}.tag (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)`,
    `CREATE TABLE ${db}.product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL, name VARCHAR(120) NOT NULL, description VARCHAR(500),
       price DECIMAL(10,2) NOT NULL, stock INT NOT NULL, rev INT NOT NULL, category_id INT NOT NULL, updated_at DATETIME(3) NOT NULL, KEY (category_id))`,
    `CREATE TABLE ${db}.product_tag (product_id INT NOT NULL, tag_id INT NOT NULL, PRIMARY KEY (product_id, tag_id), KEY (tag_id))`,
    `CREATE TABLE ${db}.review (id INT PRIMARY KEY, product_id INT NOT NULL, rating TINYINT NOT NULL, title VARCHAR(120), body VARCHAR(500),
       created_at DATETIME NOT NULL, KEY (product_id))`,
    `INSERT INTO ${db}.category SELECT seq, CONCAT('Category ', seq), CONCAT('Everything of kind ', seq, ' for home and garden') FROM ${db}.seq_1_to_100`,
    `INSERT INTO ${db}.tag SELECT seq, CONCAT('tag-', seq) FROM ${db}.seq_1_to_100`,
    `INSERT INTO ${db}.product SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Product ', seq, ' ', ELT(1 + seq % 5, 'lamp', 'chair', 'desk', 'shelf', 'rug')),
       REPEAT(CONCAT('Product ', seq, ' is sturdy and well made. '), 3), 1 + (seq % 10000) / 100, seq % 500, 0,
       IF(seq <= ${quarter}, ${FAN_OUT_CATEGORY}, 2 + seq % 99), '2026-01-01 00:00:00.000' FROM ${db}.seq_1_to_${roots}`,
    `INSERT INTO ${db}.product_tag SELECT seq, 1 + seq % 50 FROM ${db}.seq_1_to_${roots}`,
    `INSERT INTO ${db}.product_tag SELECT seq, 51 + seq % 50 FROM ${db}.seq_1_to_${roots}`,
    `INSERT INTO ${db}.review SELECT seq, (seq + 1) DIV 2, 1 + seq % 5, CONCAT('Review ', seq, ' of product ', (seq + 1) DIV 2),
       REPEAT('Works as described, arrived on time. ', 3), '2026-01-01 00:00:00' FROM ${db}.seq_1_to_${roots * 2}`,
  ];
  for (const statement of statements) await sql.query(statement);
  return { products: roots, productTags: roots * 2, reviews: roots * 2, categories: 100, tags: 100 };
}

/**
 * The backlog: every product updated once (`rev` and `price`), in transactions of `transactionRows`
 * rows, so the change topic holds one change per root.
 */
export async function updateEveryProduct(sql: Connection, database: string, roots: number, transactionRows = 10_000): Promise<void> {
  for (let first = 1; first <= roots; first += transactionRows) {
    const last = Math.min(roots, first + transactionRows - 1);
    await sql.query(`UPDATE \`${database}\`.product SET rev = rev + 1, price = price + 0.01, updated_at = NOW(3) WHERE id BETWEEN ${first} AND ${last}`);
  }
}

/** Renames the shared category: every product of it must be rebuilt. Resolves when committed. */
export async function renameFanOutCategory(sql: Connection, database: string): Promise<void> {
  await sql.query(`UPDATE \`${database}\`.category SET name = CONCAT(name, ' (renamed)') WHERE id = ${FAN_OUT_CATEGORY}`);
}
