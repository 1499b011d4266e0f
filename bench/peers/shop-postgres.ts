/**
 * The shop workload of bench/lib/shop.ts in Postgres, with the same rows (same expressions, made
 * with generate_series instead of MariaDB's sequence engine), and its backlog: every product
 * updated once in transactions of 10,000 rows.
 */
import { FAN_OUT_CATEGORY, fanOutRoots } from '../lib/shop.js';

/** The statements that create and fill the shop tables of `roots` products in the current database. */
export function shopPostgresSql(roots: number): string {
  const quarter = fanOutRoots(roots);
  return [
    'CREATE TABLE category (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, description VARCHAR(255))',
    'CREATE TABLE tag (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)',
    `CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL, name VARCHAR(120) NOT NULL, description VARCHAR(500),
       price DECIMAL(10,2) NOT NULL, stock INT NOT NULL, rev INT NOT NULL, category_id INT NOT NULL REFERENCES category (id), updated_at TIMESTAMP(3) NOT NULL)`,
    'CREATE INDEX ON product (category_id)',
    // PGSync finds a many-to-many through the link table's foreign keys
    'CREATE TABLE product_tag (product_id INT NOT NULL REFERENCES product (id), tag_id INT NOT NULL REFERENCES tag (id), PRIMARY KEY (product_id, tag_id))',
    'CREATE INDEX ON product_tag (tag_id)',
    `CREATE TABLE review (id INT PRIMARY KEY, product_id INT NOT NULL REFERENCES product (id), rating SMALLINT NOT NULL, title VARCHAR(120), body VARCHAR(500),
       created_at TIMESTAMP NOT NULL)`,
    'CREATE INDEX ON review (product_id)',
    "INSERT INTO category SELECT seq, 'Category ' || seq, 'Everything of kind ' || seq || ' for home and garden' FROM generate_series(1, 100) AS seq",
    "INSERT INTO tag SELECT seq, 'tag-' || seq FROM generate_series(1, 100) AS seq",
    `INSERT INTO product SELECT seq, 'SKU-' || LPAD(seq::text, 8, '0'), 'Product ' || seq || ' ' || (ARRAY['lamp', 'chair', 'desk', 'shelf', 'rug'])[1 + seq % 5],
       REPEAT('Product ' || seq || ' is sturdy and well made. ', 3), 1 + (seq % 10000) / 100.0, seq % 500, 0,
       CASE WHEN seq <= ${quarter} THEN ${FAN_OUT_CATEGORY} ELSE 2 + seq % 99 END, '2026-01-01 00:00:00.000' FROM generate_series(1, ${roots}) AS seq`,
    `INSERT INTO product_tag SELECT seq, 1 + seq % 50 FROM generate_series(1, ${roots}) AS seq`,
    `INSERT INTO product_tag SELECT seq, 51 + seq % 50 FROM generate_series(1, ${roots}) AS seq`,
    `INSERT INTO review SELECT seq, (seq + 1) / 2, 1 + seq % 5, 'Review ' || seq || ' of product ' || (seq + 1) / 2,
       REPEAT('Works as described, arrived on time. ', 3), '2026-01-01 00:00:00' FROM generate_series(1, ${roots * 2}) AS seq`,
    'ANALYZE',
  ].join(';\n');
}

/** The backlog's statements, one per transaction of `transactionRows` products (as updateEveryProduct). */
export function updateEveryProductSql(roots: number, transactionRows = 10_000): string[] {
  const statements: string[] = [];
  for (let first = 1; first <= roots; first += transactionRows) {
    const last = Math.min(roots, first + transactionRows - 1);
    statements.push(`UPDATE product SET rev = rev + 1, price = price + 0.01, updated_at = clock_timestamp() WHERE id BETWEEN ${first} AND ${last}`);
  }
  return statements;
}
