import { quoteIdentifier } from '../model/sql.js';
import type { Connection } from 'mysql2/promise';
import type { TableInfo } from '../model/table.js';

/**
 * Safe SQL text for descriptor queries: identifiers are always backquoted (a backquote inside is
 * doubled) and values always go through placeholders, so nothing of the pipeline file or of the
 * data is ever pasted into SQL unquoted.
 */

export { quoteIdentifier };

/** `db`.`table` of a table. */
export function qualifiedName(table: TableInfo): string {
  return `${quoteIdentifier(table.db)}.${quoteIdentifier(table.table)}`;
}

/** Splits `values` into chunks of at most `size` (for IN lists). */
export function chunks<T>(values: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += size) result.push(values.slice(start, start + size));
  return result;
}

/** The largest IN list sluice sends in one query. */
export const MAX_IN_LIST = 1000;

/** Anything that runs queries: a connection or a pool. */
export type Queryable = Pick<Connection, 'query'>;
