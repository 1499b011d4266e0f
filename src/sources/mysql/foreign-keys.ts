import type { ForeignKey } from '../../model/foreign-key.js';
import type { Queryable } from './table-catalog.js';

/**
 * The single-column foreign keys of the tables of `databases` (composite foreign keys are left
 * out: a relation joins on one column), from information_schema.
 */
export async function readForeignKeys(connection: Queryable, databases: readonly string[]): Promise<ForeignKey[]> {
  if (databases.length === 0) return [];
  const [rows] = await connection.query(
    `SELECT k.TABLE_SCHEMA AS db, k.TABLE_NAME AS tbl, k.COLUMN_NAME AS col,
            k.REFERENCED_TABLE_SCHEMA AS refDb, k.REFERENCED_TABLE_NAME AS refTable, k.REFERENCED_COLUMN_NAME AS refColumn,
            k.CONSTRAINT_NAME AS name,
            (SELECT COUNT(*) FROM information_schema.KEY_COLUMN_USAGE o
              WHERE o.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND o.TABLE_NAME = k.TABLE_NAME AND o.CONSTRAINT_NAME = k.CONSTRAINT_NAME) AS width
       FROM information_schema.KEY_COLUMN_USAGE k
      WHERE k.TABLE_SCHEMA IN (?) AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [[...databases]],
  );
  return (rows as Array<{ db: string; tbl: string; col: string; refDb: string; refTable: string; refColumn: string; width: number | string }>)
    .filter((row) => Number(row.width) === 1)
    .map((row) => ({ db: row.db, table: row.tbl, column: row.col, refDb: row.refDb, refTable: row.refTable, refColumn: row.refColumn }));
}
