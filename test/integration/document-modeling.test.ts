import { createHash } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentDefinition } from '../../src/config/document-definition.js';
import { ConfigurationError } from '../../src/errors.js';
import { buildDocuments, type BuiltDocument } from '../../src/descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { rootIdsOfChanges, type RowChange } from '../../src/descriptors/expand-change.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { diffDocuments, expectedCustomerDocuments, expectedFilmDocuments } from '../helpers/sakila-oracle.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { compileTestDocuments } from '../helpers/descriptors.js';
import { loadSakilaDatabase, sakilaDefinition } from '../helpers/sakila-pipeline.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The ConfigurationError `action` rejects with; fails when it resolves or rejects with another error. */
async function configurationErrorAsync(action: () => Promise<unknown>): Promise<ConfigurationError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

function readPool(): Pool {
  const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
  cleanup.add(() => pool.end());
  return pool;
}

async function descriptorsOf(pool: Pool, database: string, definitions: Record<string, DocumentDefinition>): Promise<DocumentDescriptor[]> {
  return compileTestDocuments(pool, { database, pipeline: 'modeling' }, definitions, { checkQueries: true });
}

/** The built document of `id`. */
async function buildOne(pool: Pool, descriptor: DocumentDescriptor, id: string): Promise<BuiltDocument> {
  const connection = await pool.getConnection();
  try {
    const [document] = (await buildDocuments(connection, descriptor, [id])).documents;
    if (document === undefined) throw new Error(`no document ${id}`);
    return document;
  } finally {
    connection.release();
  }
}

/** Every document of `ids`, by id, without `_sluice`. */
async function build(pool: Pool, descriptor: DocumentDescriptor, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const connection = await pool.getConnection();
  try {
    const page = await buildDocuments(connection, descriptor, ids);
    return new Map(page.documents.map((document) => [document.id, document.source as Record<string, unknown>]));
  } finally {
    connection.release();
  }
}

async function rootIds(pool: Pool, descriptor: DocumentDescriptor, changes: readonly RowChange[]): Promise<string[]> {
  const ids = new Set<string>();
  for await (const page of rootIdsOfChanges(descriptor, changes, { queries: pool, pageSize: 100 })) for (const id of page) ids.add(id);
  return [...ids].sort();
}

describe('the Sakila example documents', () => {
  it('are built exactly as the hand-written SQL oracle says, before and after 1,000 random mutations', async () => {
    const { database } = await loadSakilaDatabase(cleanup, 'sakila_model');
    const pool = readPool();
    const [films, customers] = await descriptorsOf(pool, database, { films: sakilaDefinition('films'), customers: sakilaDefinition('customers') });
    if (films === undefined || customers === undefined) throw new Error('the example lost a document');
    const sql = await openMysql(cleanup, database);
    const compare = async (): Promise<string[]> => {
      const filmIds = (await sql.query('SELECT film_id FROM film'))[0] as Array<{ film_id: number }>;
      const customerIds = (await sql.query('SELECT customer_id FROM customer'))[0] as Array<{ customer_id: number }>;
      const builtFilms = await build(pool, films, filmIds.map((row) => String(row.film_id)));
      const builtCustomers = await build(pool, customers, customerIds.map((row) => String(row.customer_id)));
      return [
        ...diffDocuments(await expectedFilmDocuments(sql, database), builtFilms, { limit: 5, keyOrder: true }),
        ...diffDocuments(await expectedCustomerDocuments(sql, database), builtCustomers, { limit: 5, keyOrder: true }),
      ];
    };
    expect(await compare()).toEqual([]);
    await runSakilaWorkload(sql, database, { mutations: 1000, seed: 7 });
    expect(await compare()).toEqual([]);
  }, 240_000);
});

/** A library catalogue: the schema issue 17 was found with. */
const LIBRARY: Record<string, DocumentDefinition> = {
  books: {
    table: 'book',
    fields: ['book_id', 'title', 'tags'],
    computed: { label: "CONCAT(title, ' (', pages, ' pages)')", pages_twice: 'pages * 2' },
    relations: {
      publisher: { type: 'manyToOne', table: 'publisher', foreignKey: 'publisher_id', scalar: 'name' },
      authors: {
        type: 'manyToMany',
        table: 'author',
        through: { table: 'book_author', foreignKey: 'book_id', otherKey: 'author_id' },
        fields: ['author_id', 'full_name', 'position', 'book_author.note'],
        orderBy: 'position',
      },
      reviews: {
        type: 'oneToMany',
        table: 'review',
        foreignKey: 'book_id',
        where: 'visible = 1',
        orderBy: ['reviewed_at desc'],
        limit: 2,
        fields: { id: 'review_id', stars: 'stars', at: 'reviewed_at' },
      },
      best: { type: 'oneToMany', table: 'review', foreignKey: 'book_id', orderBy: ['stars DESC', 'review.reviewed_at asc'], scalar: 'review_id' },
    },
  },
};

async function createLibrary(): Promise<{ database: string; sql: Awaited<ReturnType<typeof openMysql>> }> {
  const database = await createTestDatabase(cleanup, 'library');
  const sql = await openMysql(cleanup, database);
  await sql.query('CREATE TABLE publisher (publisher_id INT PRIMARY KEY, name VARCHAR(60) NOT NULL)');
  await sql.query(
    "CREATE TABLE book (book_id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, pages INT, publisher_id INT, tags SET('fiction','poetry','history') NOT NULL DEFAULT '')",
  );
  await sql.query('CREATE TABLE author (author_id INT PRIMARY KEY, full_name VARCHAR(60) NOT NULL, note VARCHAR(20))');
  await sql.query('CREATE TABLE book_author (book_id INT, author_id INT, position TINYINT NOT NULL, note VARCHAR(20), PRIMARY KEY (book_id, author_id))');
  await sql.query('CREATE TABLE review (review_id INT PRIMARY KEY, book_id INT NOT NULL, stars TINYINT NOT NULL, visible TINYINT NOT NULL, reviewed_at DATETIME NOT NULL, KEY (book_id))');
  await sql.query("INSERT INTO publisher VALUES (1, 'Penguin')");
  await sql.query("INSERT INTO book VALUES (1, 'Good Omens', 400, 1, 'fiction'), (2, 'Odes', 80, NULL, 'poetry,history'), (3, 'Blank', NULL, NULL, '')");
  await sql.query("INSERT INTO author VALUES (10, 'Terry Pratchett', 'author note'), (20, 'Neil Gaiman', NULL), (30, 'John Keats', NULL)");
  await sql.query("INSERT INTO book_author VALUES (1, 20, 2, 'co-author'), (1, 10, 1, 'lead'), (2, 30, 1, NULL)");
  await sql.query(
    `INSERT INTO review VALUES (100, 1, 4, 1, '2024-01-01 10:00:00'), (101, 1, 5, 1, '2024-03-01 10:00:00'), (102, 1, 3, 1, '2024-02-01 10:00:00'),
                               (103, 1, 5, 0, '2024-04-01 10:00:00'), (200, 2, 2, 1, '2024-01-05 00:00:00')`,
  );
  return { database, sql };
}

describe('link columns, ordered and filtered lists, computed fields and SET columns', () => {
  it('builds them in the build query and follows the changes that move rows in and out of a list', async () => {
    const { database, sql } = await createLibrary();
    const pool = readPool();
    const [books] = await descriptorsOf(pool, database, LIBRARY);
    if (books === undefined) throw new Error('no descriptor');
    const first = await build(pool, books, ['1', '2', '3']);
    const { _sluice: _meta, ...book1 } = first.get('1') ?? {};
    expect(book1).toEqual({
      book_id: 1,
      title: 'Good Omens',
      tags: ['fiction'],
      label: 'Good Omens (400 pages)',
      pages_twice: 800,
      publisher: 'Penguin',
      // ordered by the link's position; note is the link row's, not the author's
      authors: [
        { author_id: 10, full_name: 'Terry Pratchett', position: 1, note: 'lead' },
        { author_id: 20, full_name: 'Neil Gaiman', position: 2, note: 'co-author' },
      ],
      // visible only, the latest two
      reviews: [
        { id: 101, stars: 5, at: '2024-03-01T10:00:00' },
        { id: 102, stars: 3, at: '2024-02-01T10:00:00' },
      ],
      best: [101, 103, 100, 102],
    });
    // the text the content hash is taken over: the definition's order (fields, computed, relations; a relation's own fields in theirs)
    const built = await buildOne(pool, books, '1');
    const body = built.json.slice(0, built.json.indexOf(',"_sluice":'));
    expect(body).toBe(
      '{"book_id":1,"title":"Good Omens","tags":["fiction"],"label":"Good Omens (400 pages)","pages_twice":800,"publisher":"Penguin",' +
        '"authors":[{"author_id":10,"full_name":"Terry Pratchett","position":1,"note":"lead"},{"author_id":20,"full_name":"Neil Gaiman","position":2,"note":"co-author"}],' +
        '"reviews":[{"id":101,"stars":5,"at":"2024-03-01T10:00:00"},{"id":102,"stars":3,"at":"2024-02-01T10:00:00"}],"best":[101,103,100,102]',
    );
    expect(built.source._sluice.hash).toBe(createHash('sha256').update(`${body}}`).digest('hex').slice(0, 32));
    expect(built.jsonBytes).toBe(Buffer.byteLength(built.json));
    expect(first.get('2')).toMatchObject({ tags: ['poetry', 'history'], label: 'Odes (80 pages)', publisher: null, reviews: [{ id: 200 }] });
    expect(first.get('3')).toMatchObject({ tags: [], label: null, pages_twice: null, authors: [], reviews: [] });

    // A link column changes: the parent is rebuilt, in the new order.
    await sql.query('UPDATE book_author SET position = 3 - position WHERE book_id = 1');
    const swap: RowChange = { db: database, table: 'book_author', op: 'u', before: { book_id: 1, author_id: 10, position: 1, note: 'lead' }, after: { book_id: 1, author_id: 10, position: 2, note: 'lead' } };
    expect(await rootIds(pool, books, [swap])).toEqual(['1']);
    expect((await build(pool, books, ['1'])).get('1')?.authors).toEqual([
      { author_id: 20, full_name: 'Neil Gaiman', position: 1, note: 'co-author' },
      { author_id: 10, full_name: 'Terry Pratchett', position: 2, note: 'lead' },
    ]);

    // A review leaves the filter (visible 1 -> 0): an update of a column no field shows still rebuilds its book.
    await sql.query('UPDATE review SET visible = 0 WHERE review_id = 101');
    const hide: RowChange = { db: database, table: 'review', op: 'u', before: { review_id: 101, book_id: 1, visible: 1 }, after: { review_id: 101, book_id: 1, visible: 0 } };
    expect(await rootIds(pool, books, [hide])).toEqual(['1']);
    expect((await build(pool, books, ['1'])).get('1')?.reviews).toEqual([
      { id: 102, stars: 3, at: '2024-02-01T10:00:00' },
      { id: 100, stars: 4, at: '2024-01-01T10:00:00' },
    ]);

    // A hidden review moves to another book and enters the filter: both books are rebuilt.
    await sql.query('UPDATE review SET book_id = 2, visible = 1 WHERE review_id = 103');
    const move: RowChange = { db: database, table: 'review', op: 'u', before: { review_id: 103, book_id: 1, visible: 0 }, after: { review_id: 103, book_id: 2, visible: 1 } };
    expect(await rootIds(pool, books, [move])).toEqual(['1', '2']);
    expect((await build(pool, books, ['2'])).get('2')?.reviews).toEqual([
      { id: 103, stars: 5, at: '2024-04-01T10:00:00' },
      { id: 200, stars: 2, at: '2024-01-05T00:00:00' },
    ]);

    // A root column a computed field reads changes: the document is rebuilt.
    await sql.query('UPDATE book SET pages = 500 WHERE book_id = 1');
    const pages: RowChange = { db: database, table: 'book', op: 'u', before: { book_id: 1, pages: 400 }, after: { book_id: 1, pages: 500 } };
    expect(await rootIds(pool, books, [pages])).toEqual(['1']);
    expect((await build(pool, books, ['1'])).get('1')).toMatchObject({ label: 'Good Omens (500 pages)', pages_twice: 1000 });

    // Multi-byte text: the UTF-8 size counted on the parts of the JSON is the size of the whole.
    await sql.query("UPDATE author SET full_name = 'Neil Gaiman ✓ 東京 Škoda' WHERE author_id = 20");
    const multiByte = await buildOne(pool, books, '1');
    expect(multiByte.json).toContain('"full_name":"Neil Gaiman ✓ 東京 Škoda"');
    expect(multiByte.jsonBytes).toBe(Buffer.byteLength(multiByte.json));
    expect(multiByte.jsonBytes).toBeGreaterThan(multiByte.json.length);
  }, 60_000);

  it('names the key of a where condition or computed field the database refuses', async () => {
    const { database } = await createLibrary();
    const pool = readPool();
    const books = LIBRARY.books;
    if (books === undefined) throw new Error('no books');
    const where = await configurationErrorAsync(() =>
      descriptorsOf(pool, database, { books: { ...books, relations: { reviews: { type: 'oneToMany', table: 'review', foreignKey: 'book_id', where: 'visibel = 1' } } } }),
    );
    expect(where.message).toMatch(/^test\.yml: documents\.books\.relations\.reviews\.where: the database refuses it: .*Unknown column 'visibel'/);
    expect(where.fix).toContain('review.column');
    const computed = await configurationErrorAsync(() => descriptorsOf(pool, database, { books: { table: 'book', computed: { label: 'CONCAT(title, ' } } }));
    expect(computed.message).toMatch(/^test\.yml: documents\.books\.computed\.label: the database refuses it: .*SQL syntax/);
  }, 60_000);
});

describe('ids the build is asked for', () => {
  it('reports as missing every requested id no document came back under, also when a row answers to it under another spelling', async () => {
    const database = await createTestDatabase(cleanup, 'spelling');
    const sql = await openMysql(cleanup, database);
    // a case-insensitive key: `WHERE code IN ('ABC')` finds the row 'abc', whose document is 'abc'
    await sql.query('CREATE TABLE item (code VARCHAR(10) COLLATE utf8mb4_general_ci PRIMARY KEY, label VARCHAR(20) NOT NULL)');
    await sql.query("INSERT INTO item VALUES ('abc', 'first'), ('y', 'second')");
    const pool = readPool();
    const [descriptor] = await descriptorsOf(pool, database, { items: { table: 'item', fields: ['code', 'label'] } });
    if (descriptor === undefined) throw new Error('no descriptor');
    const connection = await pool.getConnection();
    try {
      const built = async (ids: string[]): Promise<{ documents: string[]; missing: readonly string[] }> => {
        const result = await buildDocuments(connection, descriptor, ids);
        return { documents: result.documents.map((document) => document.id).sort(), missing: result.missing };
      };
      expect(await built(['abc', 'y'])).toEqual({ documents: ['abc', 'y'], missing: [] });
      expect(await built(['abc', 'y', 'abc'])).toEqual({ documents: ['abc', 'y'], missing: [] });
      expect(await built(['abc', 'zzz'])).toEqual({ documents: ['abc'], missing: ['zzz'] });
      // as many documents as ids, but 'ABC' is not among them: its document (indexed under that id before) must be deleted
      expect(await built(['ABC', 'y'])).toEqual({ documents: ['abc', 'y'], missing: ['ABC'] });
    } finally {
      connection.release();
    }
  }, 60_000);
});
