import type { TableMapEntry } from '@vlasky/zongji';
import type { ColumnDefinition } from '../../model/column.js';
import { parseColumnType } from './column-definition.js';

/** What a column definition is parsed from. */
type ColumnSource = Pick<TableMapEntry['columnSchemas'][number], 'COLUMN_NAME' | 'COLUMN_TYPE'>;

/**
 * The column definitions of binlog table maps, parsed once per table shape. With
 * binlog_row_metadata=FULL zongji makes a new table map, with new column schemas, for every
 * transaction; the caches downstream (the catalog's JSON tagging, the change writer's writer
 * schemas) are keyed by the definitions array, so a table whose column names and types did not
 * change gets back the very array it got before, and nothing is parsed or looked up again. A
 * changed name or type (an ALTER TABLE) is parsed anew and becomes the table's array.
 */
export class TableMapColumns {
  /** The array of each table map seen (zongji reuses a map across transactions on the information_schema path). */
  private readonly byTableMap = new WeakMap<TableMapEntry, ColumnDefinition[]>();
  /** Per `db\0table`, the last definitions and the name and type strings they were parsed from. */
  private readonly lastByTable = new Map<string, { readonly sources: readonly ColumnSource[]; readonly columns: ColumnDefinition[] }>();

  /** The definitions of `tableMap`'s columns, in their order. */
  of(tableMap: TableMapEntry): ColumnDefinition[] {
    let columns = this.byTableMap.get(tableMap);
    if (columns === undefined) {
      const key = `${tableMap.parentSchema}\u0000${tableMap.tableName}`;
      const sources = tableMap.columnSchemas;
      const last = this.lastByTable.get(key);
      if (last !== undefined && sameColumns(last.sources, sources)) {
        columns = last.columns;
      } else {
        columns = sources.map((column) => parseColumnType(column.COLUMN_NAME, column.COLUMN_TYPE));
        // the name and type strings are copied out: zongji may change its schema objects later
        this.lastByTable.set(key, { sources: sources.map(({ COLUMN_NAME, COLUMN_TYPE }) => ({ COLUMN_NAME, COLUMN_TYPE })), columns });
      }
      this.byTableMap.set(tableMap, columns);
    }
    return columns;
  }
}

function sameColumns(a: readonly ColumnSource[], b: readonly ColumnSource[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) {
    if (a[index]?.COLUMN_NAME !== b[index]?.COLUMN_NAME || a[index]?.COLUMN_TYPE !== b[index]?.COLUMN_TYPE) return false;
  }
  return true;
}
