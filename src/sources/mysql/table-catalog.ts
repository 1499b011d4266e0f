import type { Connection } from 'mysql2/promise';
import type { ColumnDefinition } from '../../model/column.js';
import { tableKey, type TableFilter, type TableInfo } from '../../model/table.js';
import { parseColumnType } from './column-definition.js';

/** Anything that runs queries: a connection or a pool. */
export type Queryable = Pick<Connection, 'query'>;

/**
 * Reads the base tables of `databases` that pass `filter`, with their columns (ordinal order)
 * and primary keys, from information_schema.
 */
export async function readTableCatalog(connection: Queryable, databases: readonly string[], filter: TableFilter): Promise<Map<string, TableInfo>> {
  if (databases.length === 0) return new Map();
  const placeholders = databases.map(() => '?').join(', ');
  const [columnRows] = await connection.query(
    `SELECT c.TABLE_SCHEMA AS db, c.TABLE_NAME AS tbl, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS type
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA IN (${placeholders}) AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
    [...databases],
  );
  const [keyRows] = await connection.query(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, COLUMN_NAME AS name
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA IN (${placeholders}) AND INDEX_NAME = 'PRIMARY'
      ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`,
    [...databases],
  );
  const tables = new Map<string, { db: string; table: string; columns: ColumnDefinition[] }>();
  for (const row of columnRows as Array<{ db: string; tbl: string; name: string; type: string }>) {
    if (!filter(row.db, row.tbl)) continue;
    const key = tableKey(row.db, row.tbl);
    const entry = tables.get(key) ?? { db: row.db, table: row.tbl, columns: [] };
    entry.columns.push(parseColumnType(row.name, String(row.type)));
    tables.set(key, entry);
  }
  await tagMariaDbJsonColumns(connection, databases, tables);
  const keys = new Map<string, string[]>();
  for (const row of keyRows as Array<{ db: string; tbl: string; name: string }>) {
    const key = tableKey(row.db, row.tbl);
    keys.set(key, [...(keys.get(key) ?? []), row.name]);
  }
  const catalog = new Map<string, TableInfo>();
  for (const [key, entry] of tables) catalog.set(key, { ...entry, primaryKey: keys.get(key) ?? [] });
  return catalog;
}

/** Reads one table's info, undefined when it does not exist (any more). */
export async function readTableInfo(connection: Queryable, db: string, table: string): Promise<TableInfo | undefined> {
  const catalog = await readTableCatalog(connection, [db], (candidateDb, candidateTable) => candidateDb === db && candidateTable === table);
  return catalog.get(tableKey(db, table));
}

/**
 * MariaDB stores a JSON column as LONGTEXT with a `json_valid(col)` check constraint: those
 * columns get the base type 'json', as MySQL reports its own JSON type. (MySQL's
 * CHECK_CONSTRAINTS has no TABLE_NAME column and its JSON columns need no tagging.)
 */
async function tagMariaDbJsonColumns(connection: Queryable, databases: readonly string[], tables: Map<string, { columns: ColumnDefinition[] }>): Promise<void> {
  if (![...tables.values()].some((entry) => entry.columns.some((column) => column.baseType === 'longtext'))) return;
  let checkRows: unknown;
  try {
    [checkRows] = await connection.query(
      `SELECT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS tbl, CHECK_CLAUSE AS clause
         FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA IN (${databases.map(() => '?').join(', ')})`,
      [...databases],
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_BAD_FIELD_ERROR' || (error as { code?: string }).code === 'ER_UNKNOWN_TABLE') return;
    throw error;
  }
  for (const row of checkRows as Array<{ db: string; tbl: string; clause: string }>) {
    const column = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(row.clause).trim())?.[1]?.replaceAll('``', '`');
    const entry = tables.get(tableKey(row.db, row.tbl));
    if (column === undefined || entry === undefined) continue;
    const index = entry.columns.findIndex((candidate) => candidate.name === column && candidate.baseType === 'longtext');
    if (index >= 0) entry.columns[index] = { ...entry.columns[index], baseType: 'json' };
  }
}

/**
 * The binlog's columns of a row event with the catalog's JSON tagging applied: the binlog
 * describes a MariaDB JSON column as LONGTEXT (its columns follow ALTER TABLE, the catalog's
 * tags are matched by name).
 */
export function withCatalogJsonTypes(binlogColumns: readonly ColumnDefinition[], info: TableInfo | null | undefined): readonly ColumnDefinition[] {
  if (info === null || info === undefined) return binlogColumns;
  const cached = taggedColumns.get(binlogColumns);
  if (cached?.info === info) return cached.columns;
  const json = new Set(info.columns.filter((column) => column.baseType === 'json').map((column) => column.name));
  const columns = json.size === 0 ? binlogColumns : binlogColumns.map((column) => (json.has(column.name) && column.baseType !== 'json' ? { ...column, baseType: 'json' } : column));
  taggedColumns.set(binlogColumns, { info, columns });
  return columns;
}

/** Per binlog column list (one per table map), its tagged version for the catalog entry it was made with. */
const taggedColumns = new WeakMap<readonly ColumnDefinition[], { readonly info: TableInfo; readonly columns: readonly ColumnDefinition[] }>();

/**
 * The server's row estimates of `tables` by `db.table` (information_schema.TABLES.TABLE_ROWS:
 * InnoDB's sampled count, cheap and approximate), for snapshot progress.
 */
export async function estimateTableRows(pool: Queryable, tables: readonly TableInfo[]): Promise<Map<string, number>> {
  const databases = [...new Set(tables.map((table) => table.db))];
  const estimates = new Map<string, number>();
  if (databases.length === 0) return estimates;
  const [rows] = await pool.query(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_ROWS AS estimate FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${databases.map(() => '?').join(', ')})`,
    databases,
  );
  const wanted = new Set(tables.map((table) => tableKey(table.db, table.table)));
  for (const row of rows as Array<{ db: string; name: string; estimate: number | string | null }>) {
    const key = tableKey(row.db, row.name);
    if (wanted.has(key) && row.estimate !== null) estimates.set(key, Number(row.estimate));
  }
  return estimates;
}
