import { describe, expect, it } from 'vitest';
import { mappingOf, scaffoldDocument } from '../../../src/descriptors/scaffold-document.js';
import type { ForeignKey } from '../../../src/model/foreign-key.js';
import type { TableInfo } from '../../../src/model/table.js';
import { catalogOf, SAKILA_TABLES, tableInfo } from '../../helpers/sakila-catalog.js';
import { parseColumnType } from '../../../src/sources/mysql/column-definition.js';

const catalog = catalogOf([
  ...SAKILA_TABLES,
  tableInfo('sakila', 'inventory', ['inventory_id'], [['inventory_id', 'mediumint(8) unsigned'], ['film_id', 'smallint(5) unsigned']]),
  tableInfo('sakila', 'note', [], [['film_id', 'smallint(5) unsigned'], ['text', 'text']]),
]);

function key(table: string, column: string, refTable: string, refColumn: string): ForeignKey {
  return { db: 'sakila', table, column, refDb: 'sakila', refTable, refColumn };
}

const foreignKeys: ForeignKey[] = [
  key('film', 'language_id', 'language', 'language_id'),
  key('film', 'original_language_id', 'language', 'language_id'),
  key('film_actor', 'actor_id', 'actor', 'actor_id'),
  key('film_actor', 'film_id', 'film', 'film_id'),
  key('film_category', 'film_id', 'film', 'film_id'),
  key('film_category', 'category_id', 'category', 'category_id'),
  key('inventory', 'film_id', 'film', 'film_id'),
  key('note', 'film_id', 'film', 'film_id'),
];

function table(name: string): TableInfo {
  const info = catalog.get(`sakila.${name}`);
  if (info === undefined) throw new Error(`no ${name}`);
  return info;
}

describe('scaffoldDocument', () => {
  it('proposes many-to-one, many-to-many through link tables and one-to-many relations, skipping tables without a key', () => {
    const { definition, databases } = scaffoldDocument({ catalog, foreignKeys }, table('film'), 1);
    expect(databases).toEqual(['sakila']);
    expect(definition.fields).toEqual(table('film').columns.map((column) => column.name));
    const relations = definition.relations ?? {};
    expect(Object.keys(relations)).toEqual(['language', 'original_language', 'actors', 'categories', 'inventories']);
    expect(relations.original_language).toEqual({ type: 'manyToOne', table: 'language', foreignKey: 'original_language_id', fields: ['language_id', 'name', 'last_update'] });
    expect(relations.actors).toMatchObject({ type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' } });
    expect(relations.inventories).toEqual({ type: 'oneToMany', table: 'inventory', foreignKey: 'film_id', fields: ['inventory_id'] });
  });

  it('stops at the depth and never embeds a table already on the path', () => {
    expect(scaffoldDocument({ catalog, foreignKeys }, table('film'), 0).definition.relations).toBeUndefined();
    // from actor: films through film_actor, then from film not actor again (on the path)
    const actor = scaffoldDocument({ catalog, foreignKeys }, table('actor'), 2).definition.relations ?? {};
    expect(Object.keys(actor)).toEqual(['films']);
    expect(Object.keys(actor.films?.relations ?? {})).toEqual(['language', 'original_language', 'categories', 'inventories']);
  });

  it('guesses mappings from column types', () => {
    const mapping = (type: string): unknown => mappingOf(parseColumnType('c', type));
    expect(mapping('int(11)')).toEqual({ type: 'integer' });
    expect(mapping('int(10) unsigned')).toEqual({ type: 'long' });
    expect(mapping('bigint(20)')).toEqual({ type: 'long' });
    expect(mapping('decimal(5,2)')).toEqual({ type: 'double' });
    expect(mapping('datetime')).toEqual({ type: 'date' });
    expect(mapping('varchar(45)')).toEqual({ type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } });
    expect(mapping("set('a','b')")).toEqual({ type: 'keyword' });
    expect(mapping('blob')).toEqual({ type: 'binary' });
    expect(mapping('json')).toBeUndefined();
  });
});
