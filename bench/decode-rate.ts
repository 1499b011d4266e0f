/**
 * CPU cost of the sink's Avro decoding, without Kafka: decodes N update events (before and after
 * images) of three tables whole (every column, the whole envelope), and as the sink does (only the
 * columns its expansion reads, see columnsReadByExpansion, and of the envelope what it uses, see
 * SinkChangeEvent), and prints CPU microseconds per event:
 * - shop.product: the bench's product document reads every column, so both readers decode every column;
 * - sakila.film: the example's films document reads 10 of the 13 columns (not original_language_id,
 *   rental_duration, replacement_cost);
 * - a wide row: 4 KB of notes and a DECIMAL no document reads, next to id, name and a foreign key.
 * Usage: npx tsx bench/decode-rate.ts [events]
 */
import type { ChangeEvent, Row } from '../src/model/change-event.js';
import { parseColumnType } from '../src/sources/mysql/column-definition.js';
import { changeEventReader, encodeChangeEvent, writerSchema } from '../src/streams/avro/change-event-codec.js';
import { unframe } from '../src/streams/avro/framing.js';

const EVENTS = Number(process.argv[2] ?? 200_000);

interface Shape {
  readonly label: string;
  readonly table: string;
  readonly columns: ReadonlyArray<readonly [string, string]>;
  /** A row image for id `id`. */
  readonly row: (id: number, rev: number) => Row;
  /** The columns the sink's expansion reads from this table's changes. */
  readonly read: ReadonlySet<string>;
}

const SHAPES: readonly Shape[] = [
  {
    label: 'shop.product (all 9 columns read)',
    table: 'product',
    columns: [['id', 'int(11)'], ['sku', 'varchar(20)'], ['name', 'varchar(120)'], ['description', 'varchar(500)'], ['price', 'decimal(10,2)'], ['stock', 'int(11)'], ['rev', 'int(11)'], ['category_id', 'int(11)'], ['updated_at', 'datetime(3)']],
    row: (id, rev) => ({ id, sku: `SKU-${String(id).padStart(8, '0')}`, name: `Product ${id} lamp`, description: `Product ${id} is sturdy and well made. `.repeat(3), price: '23.45', stock: id % 500, rev, category_id: 2 + (id % 99), updated_at: '2026-12-03 10:00:00.123' }),
    read: new Set(['id', 'sku', 'name', 'description', 'price', 'stock', 'rev', 'category_id', 'updated_at']),
  },
  {
    label: 'sakila.film (10 of 13 columns read)',
    table: 'film',
    columns: [['film_id', 'int(10) unsigned'], ['title', 'varchar(255)'], ['description', 'text'], ['release_year', 'year(4)'], ['language_id', 'int(10) unsigned'], ['original_language_id', 'int(10) unsigned'], ['rental_duration', 'tinyint(3) unsigned'], ['rental_rate', 'decimal(4,2)'], ['length', 'smallint(5) unsigned'], ['replacement_cost', 'decimal(5,2)'], ['rating', "enum('G','PG','PG-13','R','NC-17')"], ['special_features', "set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes')"], ['last_update', 'timestamp']],
    row: (id, rev) => ({ film_id: id, title: 'ACADEMY DINOSAUR', description: 'A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher in The Canadian Rockies', release_year: 2006, language_id: 1, original_language_id: null, rental_duration: 6, rental_rate: (0.99 + rev / 100).toFixed(2), length: 86, replacement_cost: '20.99', rating: 'PG', special_features: 'Deleted Scenes,Behind the Scenes', last_update: '2006-02-15 05:03:42' }),
    read: new Set(['film_id', 'title', 'description', 'release_year', 'language_id', 'rental_rate', 'length', 'rating', 'special_features', 'last_update']),
  },
  {
    label: 'wide row (4 KB of notes and a DECIMAL not read)',
    table: 'item',
    columns: [['id', 'int(11)'], ['name', 'varchar(40)'], ['category_id', 'int(11)'], ['notes', 'text'], ['cost', 'decimal(10,2)']],
    row: (id, rev) => ({ id, name: `item ${id}`, category_id: id % 100, notes: `note ${rev} `.repeat(512).slice(0, 4096), cost: '12.34' }),
    read: new Set(['id', 'name', 'category_id']),
  },
];

function updateEvent(shape: Shape, id: number): ChangeEvent {
  return {
    op: 'u',
    before: shape.row(id, 1),
    after: shape.row(id, 2),
    source: { version: '1', connector: 'mysql', name: 'bench', tsMs: 1_764_565_849_000, snapshot: 'false', db: 'bench', table: shape.table, serverId: 1, gtid: '0-1-70188', file: 'mysql-bin.000012', pos: 123_456, row: 0 },
    tsMs: 1_764_565_849_123,
    transaction: null,
  };
}

for (const shape of SHAPES) {
  const schema = writerSchema('bench', 'bench', shape.table, shape.columns.map(([name, type]) => parseColumnType(name, type)));
  const bodies = Array.from({ length: 1000 }, (_, index) => unframe(encodeChangeEvent(schema, updateEvent(shape, index + 1))).body);
  const readers = [
    ['whole', changeEventReader(schema.json, schema.id)],
    ['as the sink reads it', changeEventReader(schema.json, schema.id, shape.read)],
  ] as const;
  for (let pass = 0; pass < 3; pass += 1) {
    const figures = readers.map(([label, reader]) => {
      const before = process.cpuUsage();
      for (let index = 0; index < EVENTS; index += 1) reader.read(bodies[index % bodies.length], schema.id);
      const cpu = process.cpuUsage(before);
      return `${label} ${((cpu.user + cpu.system) / EVENTS).toFixed(2)} µs`;
    });
    process.stdout.write(`${shape.label}, pass ${pass + 1}: ${figures.join(', ')} CPU per event (${(bodies[0]).length} bytes)\n`);
  }
}
