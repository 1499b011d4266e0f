import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePipelineConfig } from '../../../src/config/load-pipeline-config.js';
import type { ConfigurationError } from '../../../src/errors.js';
import { PROJECT_ROOT } from '../../../stack/settings.js';
import { configurationError } from '../../helpers/errors.js';

const FILE = 'pipelines/docs.yml';

/** A valid pipeline file whose `documents` section is `documents`. */
function withDocuments(documents: unknown): Record<string, unknown> {
  return {
    pipeline: 'sakila',
    source: { mysql: { url: 'mysql://sluice:sluice@127.0.0.1:13306', databases: ['sakila'] } },
    kafka: { brokers: ['127.0.0.1:19092'] },
    documents,
  };
}

/** A `films` document whose only relation is `relation`, named `name`. */
function filmsWith(name: string, relation: unknown): Record<string, unknown> {
  return { films: { table: 'film', relations: { [name]: relation } } };
}

function parseError(documents: unknown): ConfigurationError {
  return configurationError(() => parsePipelineConfig(stringify(withDocuments(documents)), FILE, {}));
}

const ACTORS_THROUGH = { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' };

describe('the documents section of a pipeline file', () => {
  it('parses the Sakila example as written', () => {
    const file = join(PROJECT_ROOT, 'examples', 'sakila', 'pipeline.yml');
    const config = parsePipelineConfig(readFileSync(file, 'utf8'), file, {});
    expect(Object.keys(config.documents)).toEqual(['films', 'customers']);
    const films = config.documents.films;
    expect(films.index).toBe('sakila-films');
    expect(films.table).toBe('film');
    expect(films.relations?.language).toEqual({ type: 'manyToOne', table: 'language', foreignKey: 'language_id', scalar: 'name' });
    expect(films.relations?.actors).toEqual({
      type: 'manyToMany',
      table: 'actor',
      through: ACTORS_THROUGH,
      fields: { id: 'actor_id', first_name: 'first_name', last_name: 'last_name', credited: 'film_actor.last_update' },
      orderBy: ['film_actor.last_update desc', 'last_name'],
    });
    expect(config.documents.customers.computed).toEqual({ full_name: "CONCAT(first_name, ' ', last_name)" });
    expect(config.documents.customers.relations?.large_payments).toMatchObject({ where: 'amount >= 5', orderBy: ['payment_date desc'], limit: 3 });
    expect(films.relations?.categories?.scalar).toBe('name');
    const address = config.documents.customers.relations?.address;
    expect(address?.relations?.city?.relations?.country).toEqual({ type: 'manyToOne', table: 'country', foreignKey: 'country_id', scalar: 'country' });
    expect(config.documents.customers.relations?.payments?.type).toBe('oneToMany');
  });

  it('accepts database.table names, field mappings and index settings', () => {
    const config = parsePipelineConfig(
      stringify(
        withDocuments({
          films: {
            table: 'sakila.film',
            id: 'film_id',
            fields: { name: 'title' },
            settings: { number_of_shards: 1 },
            mappings: { properties: { name: { type: 'text' } } },
            relations: { actors: { type: 'manyToMany', table: 'sakila.actor', through: { ...ACTORS_THROUGH, table: 'sakila.film_actor' }, scalar: 'last_name' } },
          },
        }),
      ),
      FILE,
      {},
    );
    expect(config.documents.films.fields).toEqual({ name: 'title' });
    expect(config.documents.films.relations?.actors?.through?.table).toBe('sakila.film_actor');
  });

  it('requires foreignKey for a manyToOne relation, naming the full key path and the file', () => {
    const error = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', scalar: 'name' }));
    expect(error.message).toBe(`${FILE}: documents.films.relations.language.foreignKey: is required for a manyToOne relation`);
    expect(error.fix).toMatch(/^documents\.films\.relations\.language\.foreignKey: add foreignKey: the parent's column holding the embedded row's key/);
    expect(error.context).toEqual({ file: FILE, keys: ['documents.films.relations.language.foreignKey'] });
  });

  it('requires foreignKey for a oneToMany relation too, at any depth', () => {
    const error = parseError({
      customers: {
        table: 'customer',
        relations: { address: { type: 'manyToOne', table: 'address', foreignKey: 'address_id', relations: { city: { type: 'oneToMany', table: 'city' } } } },
      },
    });
    expect(error.message).toBe(`${FILE}: documents.customers.relations.address.relations.city.foreignKey: is required for a oneToMany relation`);
  });

  it('requires through for a manyToMany relation and explains what it holds', () => {
    const error = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor' }));
    expect(error.message).toBe(`${FILE}: documents.films.relations.actors.through: is required for a manyToMany relation`);
    expect(error.fix).toBe(
      'documents.films.relations.actors.through: add through: { table: <link table>, foreignKey: <its column referring to the parent>, otherKey: <its column referring to the embedded table> }',
    );
  });

  it('refuses foreignKey on a manyToMany relation and through on the others', () => {
    const manyToMany = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', foreignKey: 'film_id', through: ACTORS_THROUGH }));
    expect(manyToMany.message).toBe(`${FILE}: documents.films.relations.actors.foreignKey: is not allowed for a manyToMany relation`);
    const manyToOne = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foreignKey: 'language_id', through: ACTORS_THROUGH }));
    expect(manyToOne.message).toBe(`${FILE}: documents.films.relations.language.through: is not allowed for a manyToOne relation`);
  });

  it('accepts orderBy, where, limit and computed fields on lists', () => {
    const config = parsePipelineConfig(
      stringify(
        withDocuments({
          films: {
            table: 'film',
            computed: { label: "CONCAT(title, ' (', release_year, ')')" },
            relations: {
              actors: { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, orderBy: 'last_name DESC', where: "last_name LIKE 'A%'", limit: 10, computed: { initials: 'CONCAT(LEFT(first_name, 1), LEFT(last_name, 1))' } },
            },
          },
        }),
      ),
      FILE,
      {},
    );
    expect(config.documents.films.computed).toEqual({ label: "CONCAT(title, ' (', release_year, ')')" });
    expect(config.documents.films.relations?.actors).toMatchObject({ orderBy: 'last_name DESC', where: "last_name LIKE 'A%'", limit: 10 });
  });

  it('keeps where and computed to one SQL expression', () => {
    const semicolon = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, where: 'active = 1; DROP TABLE actor' }));
    expect(semicolon.message).toBe(`${FILE}: documents.films.relations.actors.where: must be one SQL expression (no ";")`);
    const comment = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, where: 'active = 1 -- and more' }));
    expect(comment.message).toBe(`${FILE}: documents.films.relations.actors.where: must be one SQL expression without comments (--, #, /*)`);
    const computed = parseError({ films: { table: 'film', computed: { label: 'title; SELECT 1' } } });
    expect(computed.message).toBe(`${FILE}: documents.films.computed.label: must be one SQL expression (no ";")`);
    const empty = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, where: '  ' }));
    expect(empty.message).toBe(`${FILE}: documents.films.relations.actors.where: must have at least 1 character(s)`);
  });

  it('refuses orderBy and limit on a manyToOne relation, and a malformed orderBy or limit', () => {
    const order = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foreignKey: 'language_id', orderBy: 'name' }));
    expect(order.message).toBe(`${FILE}: documents.films.relations.language.orderBy: is not allowed for a manyToOne relation (it embeds one row)`);
    const limit = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foreignKey: 'language_id', limit: 2 }));
    expect(limit.message).toBe(`${FILE}: documents.films.relations.language.limit: is not allowed for a manyToOne relation (it embeds one row)`);
    const malformed = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, orderBy: ['last_name downwards'] }));
    expect(malformed.message).toBe(`${FILE}: documents.films.relations.actors.orderBy[0]: must be column, column desc or table.column asc`);
    const zero = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: ACTORS_THROUGH, limit: 0 }));
    expect(zero.message).toBe(`${FILE}: documents.films.relations.actors.limit: must be at least 1`);
  });

  it('refuses scalar together with fields or relations', () => {
    const fields = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foreignKey: 'language_id', scalar: 'name', fields: ['name'] }));
    expect(fields.message).toBe(`${FILE}: documents.films.relations.language.fields: is not allowed together with scalar`);
    expect(fields.fix).toMatch(/^documents\.films\.relations\.language\.fields: /);
    const relations = parseError(
      filmsWith('language', {
        type: 'manyToOne',
        table: 'language',
        foreignKey: 'language_id',
        scalar: 'name',
        relations: { other: { type: 'manyToOne', table: 'language', foreignKey: 'language_id' } },
      }),
    );
    expect(relations.message).toBe(`${FILE}: documents.films.relations.language.relations: is not allowed together with scalar`);
  });

  it('suggests the right key for a typo inside a nested relation', () => {
    const error = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foriegnKey: 'language_id' }));
    const lines = error.message.split('\n');
    expect(lines).toContain(`${FILE}: documents.films.relations.language.foriegnKey: unknown key (did you mean "foreignKey"?)`);
    // the key it meant is then missing: said too, so the user sees both halves of the typo
    expect(lines).toContain(`${FILE}: documents.films.relations.language.foreignKey: is required for a manyToOne relation`);
    expect(error.fix).toContain('documents.films.relations.language.foriegnKey: write "foreignKey" instead of "foriegnKey"');
  });

  it('suggests keys two relations deep and inside through', () => {
    const deep = parseError(
      filmsWith('language', {
        type: 'manyToOne',
        table: 'language',
        foreignKey: 'language_id',
        relations: { films: { type: 'oneToMany', table: 'film', foreignKey: 'language_id', scalr: 'title' } },
      }),
    );
    expect(deep.message).toBe(`${FILE}: documents.films.relations.language.relations.films.scalr: unknown key (did you mean "scalar"?)`);
    const through = parseError(filmsWith('actors', { type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherkey: 'actor_id' } }));
    expect(through.message).toContain(`${FILE}: documents.films.relations.actors.through.otherkey: unknown key (did you mean "otherKey"?)`);
  });

  it('lists the allowed keys of a relation when no key is close', () => {
    const error = parseError(filmsWith('language', { type: 'manyToOne', table: 'language', foreignKey: 'language_id', onDelete: 'cascade' }));
    expect(error.message).toBe(`${FILE}: documents.films.relations.language.onDelete: unknown key`);
    expect(error.fix).toBe(
      'documents.films.relations.language.onDelete: remove "onDelete"; the keys allowed here are type, table, foreignKey, references, through, fields, scalar, computed, orderBy, where, limit, relations',
    );
  });

  it('suggests the right key for a typo in a document definition', () => {
    const error = parseError({ films: { table: 'film', feilds: ['title'] } });
    expect(error.message).toBe(`${FILE}: documents.films.feilds: unknown key (did you mean "fields"?)`);
  });

  it.each(['Sakila-Films', '_films', 'films*', 'a b'])('refuses the index name %j', (index) => {
    const error = parseError({ films: { table: 'film', index } });
    expect(error.message).toBe(`${FILE}: documents.films.index: must be a lowercase Elasticsearch index name`);
    expect(error.fix).toBe('documents.films.index: write a lowercase index or alias name, e.g. sakila-films');
  });

  it.each([
    ['a root table with a backquote', { films: { table: 'fi`lm' } }, 'documents.films.table'],
    ['a qualified table with a backquote', { films: { table: 'sakila.fi`lm' } }, 'documents.films.table'],
    ['a relation table with a backquote', filmsWith('language', { type: 'manyToOne', table: 'lang`uage', foreignKey: 'language_id' }), 'documents.films.relations.language.table'],
    ['a link table with a backquote', filmsWith('actors', { type: 'manyToMany', table: 'actor', through: { ...ACTORS_THROUGH, table: 'film`actor' } }), 'documents.films.relations.actors.through.table'],
    ['a table with three parts', { films: { table: 'a.b.c' } }, 'documents.films.table'],
  ])('refuses %s', (_name, documents, key) => {
    const error = parseError(documents);
    expect(error.message).toBe(`${FILE}: ${key}: must be a table name or database.table (no backquote)`);
    expect(error.fix).toBe(`${key}: write a table name or database.table, e.g. film`);
  });

  it('refuses a column name with a backquote', () => {
    const error = parseError({ films: { table: 'film', fields: ['title', 'x`y'] } });
    expect(error.message).toBe(`${FILE}: documents.films.fields[1]: must be a column name (no backquote, no leading dot or space)`);
  });

  it.each([['oneToOne'], ['ManyToOne'], [1]])('refuses the relation type %j, listing the three', (type) => {
    const error = parseError(filmsWith('language', { type, table: 'language', foreignKey: 'language_id' }));
    expect(error.message).toBe(`${FILE}: documents.films.relations.language.type: must be one of "manyToOne", "oneToMany", "manyToMany"`);
    expect(error.fix).toBe('documents.films.relations.language.type: write manyToOne, oneToMany or manyToMany');
  });

  it('requires a relation type and a table', () => {
    const error = parseError(filmsWith('language', { foreignKey: 'language_id' }));
    expect(error.message.split('\n')).toEqual(
      expect.arrayContaining([`${FILE}: documents.films.relations.language.table: is required`, expect.stringContaining('documents.films.relations.language.type: ')]),
    );
    expect(parseError({ films: { index: 'films' } }).message).toBe(`${FILE}: documents.films.table: is required`);
  });

  it('refuses an empty field list and a relation that is not a mapping', () => {
    expect(parseError({ films: { table: 'film', fields: [] } }).message).toBe(`${FILE}: documents.films.fields: must have at least 1 item(s)`);
    const nullRelation = parseError(filmsWith('language', null));
    expect(nullRelation.message).toBe(`${FILE}: documents.films.relations.language: must be a mapping, not empty (null)`);
    expect(nullRelation.fix).toContain('write a mapping with type (manyToOne | oneToMany | manyToMany), table, and foreignKey or through');
  });

  it('names the document in an error about a bad document name', () => {
    const error = parseError({ 'my films': { table: 'film' } });
    expect(error.message).toContain(`${FILE}: documents["my films"]: `);
  });

  it('reports the problems of several documents in one error', () => {
    const error = parseError({
      films: { table: 'film', index: 'Films' },
      actors: { table: 'actor', relations: { films: { type: 'manyToMany', table: 'film' } } },
    });
    expect(error.message.split('\n')).toEqual([
      `${FILE}: documents.films.index: must be a lowercase Elasticsearch index name`,
      `${FILE}: documents.actors.relations.films.through: is required for a manyToMany relation`,
    ]);
    expect(error.context.keys).toEqual(['documents.films.index', 'documents.actors.relations.films.through']);
  });
});
