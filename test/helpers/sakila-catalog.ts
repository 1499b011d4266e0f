import { parseColumnType } from '../../src/sources/mysql/column-definition.js';
import { tableKey, type TableInfo } from '../../src/model/table.js';

/** A column as `[name, MySQL column type]`, e.g. `['film_id', 'smallint(5) unsigned']`. */
export type ColumnSpec = readonly [name: string, type: string];

/** Builds the TableInfo of `db.name`, its columns parsed as readTableCatalog would. */
export function tableInfo(db: string, name: string, primaryKey: readonly string[], columns: readonly ColumnSpec[]): TableInfo {
  return { db, table: name, primaryKey, columns: columns.map(([column, type]) => parseColumnType(column, type)) };
}

/** The `last_update` column every Sakila table has. */
export const LAST_UPDATE: ColumnSpec = ['last_update', 'timestamp'];

/** Sakila's film, language, actor, category and their link tables, as information_schema describes them. */
export const SAKILA_TABLES: readonly TableInfo[] = [
  tableInfo('sakila', 'film', ['film_id'], [
    ['film_id', 'smallint(5) unsigned'],
    ['title', 'varchar(128)'],
    ['description', 'text'],
    ['release_year', 'year(4)'],
    ['language_id', 'tinyint(3) unsigned'],
    ['original_language_id', 'tinyint(3) unsigned'],
    ['rental_duration', 'tinyint(3) unsigned'],
    ['rental_rate', 'decimal(4,2)'],
    ['length', 'smallint(5) unsigned'],
    ['replacement_cost', 'decimal(5,2)'],
    ['rating', "enum('G','PG','PG-13','R','NC-17')"],
    ['special_features', "set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes')"],
    LAST_UPDATE,
  ]),
  tableInfo('sakila', 'language', ['language_id'], [['language_id', 'tinyint(3) unsigned'], ['name', 'char(20)'], LAST_UPDATE]),
  tableInfo('sakila', 'actor', ['actor_id'], [['actor_id', 'smallint(5) unsigned'], ['first_name', 'varchar(45)'], ['last_name', 'varchar(45)'], LAST_UPDATE]),
  tableInfo('sakila', 'film_actor', ['actor_id', 'film_id'], [['actor_id', 'smallint(5) unsigned'], ['film_id', 'smallint(5) unsigned'], LAST_UPDATE]),
  tableInfo('sakila', 'category', ['category_id'], [['category_id', 'tinyint(3) unsigned'], ['name', 'varchar(25)'], LAST_UPDATE]),
  tableInfo('sakila', 'film_category', ['film_id', 'category_id'], [['film_id', 'smallint(5) unsigned'], ['category_id', 'tinyint(3) unsigned'], LAST_UPDATE]),
];

/** A catalog of `tables`, keyed by `db.table` as readTableCatalog keys it. */
export function catalogOf(tables: readonly TableInfo[]): ReadonlyMap<string, TableInfo> {
  return new Map(tables.map((info) => [tableKey(info.db, info.table), info]));
}
