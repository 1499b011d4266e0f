import type { TableMapEntry } from '@vlasky/zongji';
import { describe, expect, it } from 'vitest';
import { TableMapColumns } from '../../../../src/sources/mysql/table-map-columns.js';

/** A table map as zongji makes one per transaction under binlog_row_metadata=FULL: new objects every time. */
function tableMap(db: string, table: string, columns: ReadonlyArray<readonly [string, string]>): TableMapEntry {
  return {
    parentSchema: db,
    tableName: table,
    columnSchemas: columns.map(([name, type]) => ({ COLUMN_NAME: name, COLUMN_TYPE: type, COLLATION_NAME: null, CHARACTER_SET_NAME: null, COLUMN_COMMENT: '' })),
  };
}

const ITEM: ReadonlyArray<readonly [string, string]> = [
  ['id', 'int(11)'],
  ['price', 'decimal(10,2)'],
  ['status', "enum('new','done')"],
];

describe('TableMapColumns (column definitions of binlog table maps)', () => {
  it('parses the columns of a table map', () => {
    const columns = new TableMapColumns().of(tableMap('shop', 'item', ITEM));
    expect(columns).toEqual([
      { name: 'id', baseType: 'int', unsigned: false },
      { name: 'price', baseType: 'decimal', unsigned: false, precision: 10, scale: 2 },
      { name: 'status', baseType: 'enum', unsigned: false, enumValues: ['new', 'done'] },
    ]);
  });

  it('gives the same array for every new table map of an unchanged table, so caches keyed by it hold', () => {
    const parsed = new TableMapColumns();
    const first = parsed.of(tableMap('shop', 'item', ITEM));
    expect(parsed.of(tableMap('shop', 'item', ITEM))).toBe(first);
    expect(parsed.of(tableMap('shop', 'item', ITEM))).toBe(first);
  });

  it('parses anew when a column is added, renamed or changes type, and keeps the new shape', () => {
    const parsed = new TableMapColumns();
    const first = parsed.of(tableMap('shop', 'item', ITEM));
    const added = parsed.of(tableMap('shop', 'item', [...ITEM, ['note', 'text']]));
    expect(added).not.toBe(first);
    expect(added.map((column) => column.name)).toEqual(['id', 'price', 'status', 'note']);
    expect(parsed.of(tableMap('shop', 'item', [...ITEM, ['note', 'text']]))).toBe(added);

    const retyped = parsed.of(tableMap('shop', 'item', [['id', 'bigint(20) unsigned'], ...ITEM.slice(1)]));
    expect(retyped[0]).toEqual({ name: 'id', baseType: 'bigint', unsigned: true });
    const renamed = parsed.of(tableMap('shop', 'item', [['item_id', 'bigint(20) unsigned'], ...ITEM.slice(1)]));
    expect(renamed[0]?.name).toBe('item_id');
    const enumWidened = parsed.of(tableMap('shop', 'item', [['item_id', 'bigint(20) unsigned'], ITEM[1] ?? ['', ''], ['status', "enum('new','done','void')"]]));
    expect(enumWidened[2]).toEqual({ name: 'status', baseType: 'enum', unsigned: false, enumValues: ['new', 'done', 'void'] });
  });

  it('keeps tables of the same shape apart', () => {
    const parsed = new TableMapColumns();
    const item = parsed.of(tableMap('shop', 'item', ITEM));
    const other = parsed.of(tableMap('shop', 'item_archive', ITEM));
    const elsewhere = parsed.of(tableMap('archive', 'item', ITEM));
    expect(other).not.toBe(item);
    expect(elsewhere).not.toBe(item);
    expect(parsed.of(tableMap('shop', 'item', ITEM))).toBe(item);
  });

  it('is not fooled by zongji changing a schema object it handed out', () => {
    const parsed = new TableMapColumns();
    const map = tableMap('shop', 'item', ITEM);
    const first = parsed.of(map);
    const schema = map.columnSchemas[0];
    if (schema !== undefined) schema.COLUMN_TYPE = 'bigint(20)';
    // the old map keeps its array; a new map with the changed type is parsed anew
    expect(parsed.of(map)).toBe(first);
    expect(parsed.of(tableMap('shop', 'item', [['id', 'bigint(20)'], ...ITEM.slice(1)]))[0]).toEqual({ name: 'id', baseType: 'bigint', unsigned: false });
  });
});
