import type { Pool, QueryOptions } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentBuilder, DocumentDefinition } from '../../src/config/document-definition.js';
import { buildDocuments, type BuiltDocuments } from '../../src/descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { databaseBuildObstacle, jsonSelectOf } from '../../src/descriptors/json-select.js';
import { ConfigurationError } from '../../src/errors.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { compileTestDocument } from '../helpers/descriptors.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Every column type the database's JSON prints as documents keep it, in a root, its relations and theirs. */
const CATALOGUE: Record<string, DocumentDefinition> = {
  items: {
    table: 'item',
    buildIn: 'database',
    fields: ['id', 'tiny', 'small', 'medium', 'plain', 'big', 'ubig', 'price', 'code', 'label', 'notes', 'kind', 'flags', 'born', 'day', 'clock', 'at', 'at_ms', 'stamp'],
    relations: {
      maker: {
        type: 'manyToOne',
        table: 'maker',
        foreignKey: 'maker_id',
        fields: ['name'],
        relations: { country: { type: 'manyToOne', table: 'country', foreignKey: 'country_id', scalar: 'name' } },
      },
      parts: {
        type: 'oneToMany',
        table: 'part',
        foreignKey: 'item_id',
        where: 'part.hidden = 0',
        orderBy: ['weight desc'],
        limit: 3,
        fields: { id: 'part_id', weight: 'weight', label: 'label' },
        relations: { screws: { type: 'oneToMany', table: 'screw', foreignKey: 'part_id', scalar: 'size' } },
      },
      colours: {
        type: 'manyToMany',
        table: 'colour',
        through: { table: 'item_colour', foreignKey: 'item_id', otherKey: 'colour_id' },
        fields: ['colour_id', 'name', 'item_colour.share'],
        orderBy: ['item_colour.share desc'],
      },
      notes_list: { type: 'oneToMany', table: 'note', foreignKey: 'item_id', scalar: 'body' },
    },
  },
};

/** Text no escaping may change: every ASCII character, quotes, backslashes (one before `u00` too), and characters beyond the BMP. */
const AWKWARD_TEXT = `${Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join('')} \\u000B "quoted" é € 😀 \u2028`;

async function createCatalogue(): Promise<{ database: string; sql: Awaited<ReturnType<typeof openMysql>> }> {
  const database = await createTestDatabase(cleanup, 'json_select');
  const sql = await openMysql(cleanup, database);
  for (const statement of [
    'CREATE TABLE country (country_id INT PRIMARY KEY, name VARCHAR(40))',
    'CREATE TABLE maker (maker_id SMALLINT PRIMARY KEY, name VARCHAR(40) CHARACTER SET latin1, country_id INT)',
    `CREATE TABLE item (id INT PRIMARY KEY, tiny TINYINT, small SMALLINT UNSIGNED, medium MEDIUMINT, plain INT, big BIGINT, ubig BIGINT UNSIGNED,
       price DECIMAL(12,3), code CHAR(4), label VARCHAR(2000), notes TEXT, kind ENUM('a','b c'), flags SET('red','big one','x'),
       born YEAR, day DATE, clock TIME(2), at DATETIME, at_ms DATETIME(3), stamp TIMESTAMP(6) NULL, maker_id SMALLINT)`,
    'CREATE TABLE part (part_id INT PRIMARY KEY, item_id INT NOT NULL, weight INT, label VARCHAR(400), hidden TINYINT NOT NULL DEFAULT 0)',
    'CREATE TABLE screw (screw_id BIGINT PRIMARY KEY, part_id INT NOT NULL, size DECIMAL(4,1))',
    'CREATE TABLE colour (colour_id INT PRIMARY KEY, name VARCHAR(20))',
    'CREATE TABLE item_colour (item_id INT NOT NULL, colour_id INT NOT NULL, share TINYINT NOT NULL, PRIMARY KEY (item_id, colour_id))',
    'CREATE TABLE note (note_id INT PRIMARY KEY, item_id INT NOT NULL, body TEXT)',
    "INSERT INTO country VALUES (1, 'Bhutan'), (2, NULL)",
    "INSERT INTO maker VALUES (1, 'Ærø', 1), (2, 'nobody', 2), (3, NULL, 99)",
  ]) {
    await sql.query(statement);
  }
  await sql.query(
    `INSERT INTO item VALUES
       (1, -128, 65535, -8388608, -2147483648, -9007199254740991, 18446744073709551615, -123456789.125, 'ab', ?, ?, 'b c', 'red,big one', 2006, '2026-02-03', '-838:59:59.00', '2026-01-02 03:04:05', '2026-01-02 03:04:05.120', '2026-01-02 03:04:05.123456', 1),
       (2, 0, 0, 0, 0, 9007199254740992, 0, 0, '', '', '', 'a', '', 0, '0000-00-00', '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '1970-01-01 00:00:01', 2),
       (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       (4, 1, 1, 1, 1, -9007199254740993, 9007199254740991, 1.5, 'x', 'plain', 'plain', 'a', 'x', 1999, '2000-12-31', '12:00:00.5', '2000-12-31 23:59:59', '2000-12-31 23:59:59.999', NULL, 3)`,
    [AWKWARD_TEXT, AWKWARD_TEXT],
  );
  await sql.query(`INSERT INTO part VALUES (1, 1, 5, 'five', 0), (2, 1, 7, ?, 0), (3, 1, 7, 'seven again', 0), (4, 1, 9, 'hidden', 1), (5, 1, 1, 'beyond the limit', 0), (6, 2, NULL, NULL, 0)`, [AWKWARD_TEXT]);
  await sql.query('INSERT INTO screw VALUES (9007199254740993, 1, 2.5), (2, 1, NULL), (3, 2, 0.1), (4, 5, 9.9)');
  await sql.query("INSERT INTO colour VALUES (1, 'red'), (2, 'green'), (3, NULL)");
  await sql.query('INSERT INTO item_colour VALUES (1, 1, 10), (1, 2, 90), (1, 3, 50), (2, 3, 1)');
  // a list whose JSON passes 1 MiB, MariaDB's default group_concat_max_len, which also bounds JSON_ARRAYAGG
  await sql.query("INSERT INTO note SELECT seq, 4, REPEAT('long note ', 50) FROM seq_1_to_3000");
  return { database, sql };
}

function readPool(): Pool {
  const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
  cleanup.add(() => pool.end());
  return pool;
}

async function descriptorOf(pool: Pool, database: string, definitions: Record<string, DocumentDefinition>): Promise<DocumentDescriptor> {
  return compileTestDocument(pool, { database, pipeline: 'json_select' }, definitions, { checkQueries: true });
}

/** The documents of `ids` as `builder` makes them, with the SQL of every query the build sent. */
async function build(pool: Pool, descriptor: DocumentDescriptor, ids: readonly string[], builder: DocumentBuilder): Promise<BuiltDocuments & { queries: string[] }> {
  const connection = await pool.getConnection();
  const queries: string[] = [];
  const recording = new Proxy(connection, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (options: string | QueryOptions) => {
        queries.push(typeof options === 'string' ? options : options.sql);
        return typeof options === 'string' ? target.query(options) : target.query(options);
      };
    },
  });
  try {
    return { ...(await buildDocuments(recording, descriptor, ids, undefined, builder)), queries };
  } finally {
    connection.release();
  }
}

describe('documents made as JSON by MariaDB', () => {
  it('are the very text the JavaScript build makes, for every column type, relation shape and awkward character', async () => {
    const { database } = await createCatalogue();
    const pool = readPool();
    const descriptor = await descriptorOf(pool, database, CATALOGUE);
    expect(jsonSelectOf(descriptor)).toBeDefined();
    const ids = ['1', '2', '3', '4', '5', '1'];
    const inDatabase = await build(pool, descriptor, ids, 'database');
    const inJavaScript = await build(pool, descriptor, ids, 'sink');
    // one query made the documents' JSON; the sink's build read the rows of each table
    expect(inDatabase.queries.filter((sql) => sql.includes('JSON_ARRAYAGG'))).toHaveLength(1);
    expect(inJavaScript.queries.filter((sql) => sql.includes('JSON_ARRAYAGG'))).toHaveLength(0);
    expect(inDatabase.missing).toEqual(['5']);
    expect(inDatabase.documents.map((document) => document.id)).toEqual(['1', '2', '3', '4']);
    expect(inDatabase.documents.map((document) => document.json)).toEqual(inJavaScript.documents.map((document) => document.json));
    expect(inDatabase.documents.map((document) => document.jsonBytes)).toEqual(inDatabase.documents.map((document) => Buffer.byteLength(document.json)));
    expect(inDatabase.documents.map((document) => document.source)).toEqual(inJavaScript.documents.map((document) => document.source));
    expect(inDatabase.documents.map((document) => document.hash)).toEqual(inJavaScript.documents.map((document) => document.source._sluice.hash));
    // the shapes the comparison above stands on
    const [first, second, third, fourth] = inDatabase.documents;
    expect(first?.source).toMatchObject({
      big: -9007199254740991,
      ubig: '18446744073709551615',
      price: '-123456789.125',
      label: AWKWARD_TEXT,
      flags: ['red', 'big one'],
      born: 2006,
      clock: '-838:59:59.00',
      at_ms: '2026-01-02T03:04:05.120',
      stamp: '2026-01-02T03:04:05.123456Z',
      maker: { name: 'Ærø', country: 'Bhutan' },
      parts: [
        { id: 2, weight: 7, label: AWKWARD_TEXT, screws: ['0.1'] },
        { id: 3, weight: 7, label: 'seven again', screws: [] },
        { id: 1, weight: 5, label: 'five', screws: [null, '2.5'] },
      ],
      colours: [
        { colour_id: 2, name: 'green', share: 90 },
        { colour_id: 3, name: null, share: 50 },
        { colour_id: 1, name: 'red', share: 10 },
      ],
      notes_list: [],
    });
    expect(first?.source._sluice.refs).toContain(`${database}.screw:9007199254740993`);
    expect(second?.source).toMatchObject({ big: '9007199254740992', flags: [], born: 0, at: '0000-00-00T00:00:00', stamp: '1970-01-01T00:00:01.000000Z', maker: { name: 'nobody', country: null } });
    expect(third?.source).toMatchObject({ big: null, flags: null, maker: null, parts: [], colours: [] });
    expect(fourth?.source).toMatchObject({ maker: { name: null, country: null }, big: '-9007199254740993', ubig: 9007199254740991 });
    expect(fourth?.source.notes_list).toHaveLength(3000);
    expect(fourth?.json.length).toBeGreaterThan(1_048_576);
  }, 120_000);

  it('are refused, with the reason and the key, where the database would write them otherwise', async () => {
    const { database, sql } = await createCatalogue();
    await sql.query('ALTER TABLE maker ADD COLUMN score DOUBLE, ADD COLUMN logo BLOB, ADD COLUMN country_code VARCHAR(2)');
    await sql.query('ALTER TABLE country ADD COLUMN code VARCHAR(2), ADD UNIQUE KEY (code)');
    const pool = readPool();
    const makers = (definition: Partial<DocumentDefinition>): Record<string, DocumentDefinition> => ({ makers: { table: 'maker', fields: ['maker_id'], ...definition } });
    // without buildIn the sink builds any of them; the reason is there to ask for
    expect(databaseBuildObstacle(await descriptorOf(pool, database, makers({ fields: ['maker_id', 'score'] })))).toMatch(/column score \(double\)/);
    const refusals: Array<[Partial<DocumentDefinition>, RegExp]> = [
      // a double's shortest form and binary's base64 are JavaScript's
      [{ fields: ['maker_id', 'score'] }, /column score \(double\) is written differently/],
      [{ fields: ['maker_id', 'logo'] }, /column logo \(blob\)/],
      // a computed value's type is known only once it is read
      [{ computed: { loud: 'UPPER(name)' } }, /documents\.makers\.computed/],
      // a text join compares by collation in SQL, by exact text in the sink
      [{ relations: { country: { type: 'manyToOne', table: 'country', foreignKey: 'country_code', references: 'code', fields: ['name'] } } }, /documents\.makers\.relations\.country: joined on a column that is not an integer/],
    ];
    for (const [definition, reason] of refusals) {
      const error = await descriptorOf(pool, database, makers({ ...definition, buildIn: 'database' })).then(
        () => undefined,
        (cause: unknown) => cause,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).message).toMatch(reason);
      expect((error as ConfigurationError).message).toContain('documents.makers.buildIn');
    }
    expect(jsonSelectOf(await descriptorOf(pool, database, makers({ fields: ['maker_id', 'name'], buildIn: 'database' })))).toBeDefined();
  }, 120_000);
});
