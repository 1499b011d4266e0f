import { describe, expect, it } from 'vitest';
import { compileDocument } from '../../../src/descriptors/compile-document.js';
import type { DescriptorNode, DocumentDescriptor } from '../../../src/descriptors/document-descriptor.js';
import { writeDocumentJson, type Embedded } from '../../../src/descriptors/document-json.js';
import { JsonByteWriter } from '../../../src/descriptors/json-byte-writer.js';
import type { ColumnValue } from '../../../src/model/change-event.js';
import { rowPositions } from '../../../src/descriptors/node-query.js';
import { catalogOf, tableInfo } from '../../helpers/sakila-catalog.js';

const catalog = catalogOf([
  tableInfo('shop', 'item', ['id'], [['id', 'int(11)'], ['name', 'varchar(40)'], ['big', 'bigint(20)'], ['flags', "set('red','big one')"], ['at', 'datetime'], ['data', 'json'], ['raw', 'varbinary(4)'], ['maker_id', 'int(11)'], ['price', 'double']]),
  tableInfo('shop', 'maker', ['maker_id'], [['maker_id', 'int(11)'], ['name', 'varchar(40)']]),
  tableInfo('shop', 'part', ['part_id'], [['part_id', 'int(11)'], ['item_id', 'int(11)'], ['label', 'varchar(40)']]),
  tableInfo('shop', 'tag', ['tag_id'], [['tag_id', 'int(11)'], ['item_id', 'int(11)'], ['word', 'varchar(40)']]),
]);

/**
 * Items with properties named like array indices (which every JavaScript object, and so
 * JSON.stringify, puts first in ascending order), a computed value, a many-to-one relation, a
 * list of objects and a list of scalars.
 */
const items: DocumentDescriptor = compileDocument(
  'items',
  {
    table: 'item',
    fields: { name: 'name', '10': 'big', '2': 'flags', at: 'at', data: 'data', raw: 'raw', price: 'price' },
    computed: { '7': 'id * 2', label: 'UPPER(name)' },
    relations: {
      maker: { type: 'manyToOne', table: 'maker', foreignKey: 'maker_id', fields: ['name'] },
      '0': { type: 'oneToMany', table: 'part', foreignKey: 'item_id', fields: { id: 'part_id', label: 'label' } },
      tags: { type: 'oneToMany', table: 'tag', foreignKey: 'item_id', scalar: 'word' },
    },
  },
  { file: 'pipeline.yml', pipeline: 'shop', defaultDatabase: 'shop', catalog, isCaptured: () => true },
);

const child = (property: string): DescriptorNode => {
  const node = items.root.children.find((candidate) => candidate.property === property);
  if (node === undefined) throw new Error(`no relation ${property}`);
  return node;
};

/** `row` (a row by column name) as the build keeps it: its values at their rowPositions, its reference and its parent's join value. */
function embedded(node: DescriptorNode, row: Record<string, ColumnValue>, parent: unknown, computed: readonly unknown[] = []): Embedded {
  const values: ColumnValue[] = [];
  for (const [column, position] of rowPositions(node).columns) values[position] = row[column] ?? null;
  return { values, link: undefined, computed, ref: `shop.${node.table.table}:${String(Object.values(row)[0])}`, parent: String(parent) };
}

const item = embedded(
  items.root,
  { id: 1, name: 'Ærø "tab"\t😀', big: '9007199254740993', flags: 'red,big one', at: '2026-01-02 03:04:05', data: '{"b":1,"a":[true,null]}', raw: Buffer.from([0, 255]), maker_id: 5, price: 1.5e-7 },
  1,
  [2, 'ÆRØ'],
);

const groups = new Map([
  [child('maker'), new Map([['5', [embedded(child('maker'), { maker_id: 5, name: 'first' }, 5), embedded(child('maker'), { maker_id: 6, name: 'second' }, 5)]]])],
  [child('0'), new Map([['1', [embedded(child('0'), { part_id: 3, item_id: 1, label: 'x' }, 1), embedded(child('0'), { part_id: 4, item_id: 1, label: null }, 1)]]])],
  [child('tags'), new Map([['1', [embedded(child('tags'), { tag_id: 8, item_id: 1, word: 'new' }, 1)]]])],
]);

/** The text writeDocumentJson writes for `entry` into a fresh writer. */
function documentJson(node: DescriptorNode, entry: Embedded, groups: Parameters<typeof writeDocumentJson>[3], refs: string[]): string {
  const writer = new JsonByteWriter(64);
  writeDocumentJson(writer, node, entry, groups, refs);
  return writer.view().toString('utf8');
}

describe('writeDocumentJson', () => {
  it('writes the very text JSON.stringify makes of the assembled object, properties named like indices first', () => {
    const refs: string[] = [];
    const json = documentJson(items.root, item, groups, refs);
    // the object as the rows assemble into it, properties assigned in the descriptor's order
    const expected: Record<string, unknown> = {};
    Object.assign(expected, { name: 'Ærø "tab"\t😀', '10': '9007199254740993', '2': ['red', 'big one'], at: '2026-01-02T03:04:05', data: { b: 1, a: [true, null] }, raw: 'AP8=', price: 1.5e-7 });
    Object.assign(expected, { '7': 2, label: 'ÆRØ' });
    Object.assign(expected, { maker: { name: 'first' }, '0': [{ id: 3, label: 'x' }, { id: 4, label: null }], tags: ['new'] });
    expect(json).toBe(JSON.stringify(expected));
    expect(json.startsWith('{"0":[{"id":3,"label":"x"},{"id":4,"label":null}],"2":["red","big one"],"7":2,"10":"9007199254740993","name":')).toBe(true);
    // every embedded row, relations in the descriptor's order (its mapping's key order, "0" first): the parts, both makers (only the first is written), the tag
    expect(items.root.children.map((node) => node.property)).toEqual(['0', 'maker', 'tags']);
    expect(refs).toEqual(['shop.part:3', 'shop.part:4', 'shop.maker:5', 'shop.maker:6', 'shop.tag:8']);
  });

  it('writes null for a missing many-to-one row and empty lists for rows without children', () => {
    const lonely = embedded(items.root, { id: 2, name: null, big: null, flags: '', at: null, data: null, raw: null, maker_id: null, price: Number.NaN }, 2, [null, null]);
    const refs: string[] = [];
    const json = documentJson(items.root, lonely, groups, refs);
    expect(JSON.parse(json)).toEqual({ '0': [], '2': [], '7': null, '10': null, name: null, at: null, data: null, raw: null, price: null, label: null, maker: null, tags: [] });
    expect(json).toBe(JSON.stringify(JSON.parse(json)));
    expect(refs).toEqual([]);
  });

  it('writes every string as JSON.stringify does: escaped characters, surrogates alone and paired, and characters it leaves as they are', () => {
    const texts = ['plain', '', 'quote " and backslash \\', 'controls \u0000\u0001\n\r\t\u001f', 'del \u007f', 'lone \ud800 high', 'lone \udfff low', 'pair 😀', 'separators \u2028\u2029', 'Ærø €'];
    for (const text of texts) {
      const row = embedded(items.root, { id: 3, name: text, big: null, flags: '', at: null, data: null, raw: null, maker_id: null, price: 1 }, 3, [6, text]);
      const json = documentJson(items.root, row, groups, []);
      expect(JSON.parse(json)).toMatchObject({ name: text, label: text });
      expect(json).toBe(JSON.stringify(JSON.parse(json)));
      expect(json).toContain(`"name":${JSON.stringify(text)}`);
    }
  });
});
