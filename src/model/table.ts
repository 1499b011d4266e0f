import type { ColumnDefinition } from './column.js';

/** What sluice knows of a captured table: the catalog entry a source provides. */
export interface TableInfo {
  readonly db: string;
  readonly table: string;
  readonly columns: readonly ColumnDefinition[];
  /** Primary-key columns in key order; empty for a table without a primary key. */
  readonly primaryKey: readonly string[];
}

/** Decides whether a table is captured. */
export type TableFilter = (db: string, table: string) => boolean;

/** `db.table`, the catalog key of a table. */
export function tableKey(db: string, table: string): string {
  return `${db}.${table}`;
}

/** Splits a `db.table` name at its first dot; undefined when it has no dot. */
export function splitTableKey(name: string): { readonly db: string; readonly table: string } | undefined {
  const dot = name.indexOf('.');
  return dot <= 0 ? undefined : { db: name.slice(0, dot), table: name.slice(dot + 1) };
}
