import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipelineConfig } from '../../../src/config/load-pipeline-config.js';
import { compileDocument, compileDocuments, type CompileContext } from '../../../src/descriptors/compile-document.js';
import type { DocumentDefinition } from '../../../src/config/document-definition.js';
import type { DescriptorNode } from '../../../src/descriptors/document-descriptor.js';
import type { TableInfo } from '../../../src/model/table.js';
import { PROJECT_ROOT } from '../../../stack/settings.js';
import { configurationError } from '../../helpers/errors.js';
import { catalogOf, SAKILA_TABLES, tableInfo } from '../../helpers/sakila-catalog.js';

const FILE = 'pipelines/sakila.yml';

/** The shared Sakila tables, plus two tables for error cases. */
const catalog = catalogOf([
  ...SAKILA_TABLES,
  tableInfo('sakila', 'audit_log', [], [['log_id', 'bigint(20)'], ['film_id', 'smallint(5) unsigned'], ['message', 'text']]),
  tableInfo('archive', 'film', ['film_id'], [['film_id', 'int(11)'], ['title', 'varchar(128)']]),
]);

function context(overrides: Partial<CompileContext> = {}): CompileContext {
  return { file: FILE, pipeline: 'sakila', defaultDatabase: 'sakila', catalog, isCaptured: () => true, ...overrides };
}

function info(name: string): TableInfo {
  const found = catalog.get(name);
  if (found === undefined) throw new Error(`no table ${name} in the test catalog`);
  return found;
}

function node(nodes: readonly DescriptorNode[], path: string): DescriptorNode {
  const found = nodes.find((candidate) => candidate.path === path);
  if (found === undefined) throw new Error(`no node ${path} among ${nodes.map((candidate) => candidate.path).join(', ')}`);
  return found;
}

function fieldsOf(descriptorNode: DescriptorNode): Array<[string, string]> {
  return descriptorNode.fields.map((field) => [field.name, field.column.name]);
}

const example = loadPipelineConfig(join(PROJECT_ROOT, 'examples', 'sakila', 'pipeline.yml'), {});

describe('compileDocument', () => {
  it('compiles the films document of the Sakila example', () => {
    const films = compileDocument('films', example.documents.films, context());
    expect(films.name).toBe('films');
    expect(films.index).toBe('sakila-films');
    expect(films.idColumn).toBe('film_id');
    expect(films.nodes.map((candidate) => candidate.path)).toEqual([
      'documents.films',
      'documents.films.relations.language',
      'documents.films.relations.actors',
      'documents.films.relations.categories',
    ]);
    expect(films.nodes[0]).toBe(films.root);
    expect([...films.tables].sort()).toEqual(['sakila.actor', 'sakila.category', 'sakila.film', 'sakila.film_actor', 'sakila.film_category', 'sakila.language']);

    const root = films.root;
    expect(root.table).toBe(info('sakila.film'));
    expect(root.join).toBeUndefined();
    expect(root.parent).toBeUndefined();
    expect(root.property).toBeUndefined();
    expect(root.children.map((child) => child.property)).toEqual(['language', 'actors', 'categories']);
    expect(fieldsOf(root).map(([name]) => name)).toEqual(example.documents.films.fields);
    // the fields, the key, and the parent side of every join; not the columns no one reads
    expect([...root.usedColumns].sort()).toEqual(
      ['description', 'film_id', 'language_id', 'last_update', 'length', 'rating', 'release_year', 'rental_rate', 'special_features', 'title'].sort(),
    );

    const language = node(films.nodes, 'documents.films.relations.language');
    expect(language.parent).toBe(root);
    expect(language.join).toEqual({ type: 'manyToOne', parentColumn: 'language_id', childColumn: 'language_id' });
    expect(language.scalar?.name).toBe('name');
    expect(language.fields).toEqual([]);
    expect([...language.usedColumns].sort()).toEqual(['language_id', 'name']);

    const actors = node(films.nodes, 'documents.films.relations.actors');
    expect(actors.join).toEqual({
      type: 'manyToMany',
      parentColumn: 'film_id',
      childColumn: 'actor_id',
      link: { table: info('sakila.film_actor'), parentColumn: 'film_id', childColumn: 'actor_id', usedColumns: new Set(['film_id', 'actor_id', 'last_update']) },
    });
    // credited is the link row's film_actor.last_update, not the actor's last_update
    expect(fieldsOf(actors)).toEqual([['id', 'actor_id'], ['first_name', 'first_name'], ['last_name', 'last_name'], ['credited', 'last_update']]);
    expect(actors.fields.map((field) => field.fromLink === true)).toEqual([false, false, false, true]);
    expect(actors.fields[0]?.column).toEqual({ name: 'actor_id', baseType: 'smallint', unsigned: true });
    expect([...actors.usedColumns].sort()).toEqual(['actor_id', 'first_name', 'last_name']);
    expect(actors.order).toEqual([
      { column: 'last_update', fromLink: true, descending: true },
      { column: 'last_name', fromLink: false, descending: false },
      { column: 'actor_id', fromLink: false, descending: false },
      { column: 'actor_id', fromLink: true, descending: false },
      { column: 'film_id', fromLink: true, descending: false },
    ]);
    expect(actors.opaque).toBe(false);

    const categories = node(films.nodes, 'documents.films.relations.categories');
    expect(categories.join).toEqual({
      type: 'manyToMany',
      parentColumn: 'film_id',
      childColumn: 'category_id',
      link: { table: info('sakila.film_category'), parentColumn: 'film_id', childColumn: 'category_id', usedColumns: new Set(['film_id', 'category_id']) },
    });
    expect(categories.scalar?.name).toBe('name');
    expect([...categories.usedColumns].sort()).toEqual(['category_id', 'name']);
  });

  it('defaults the index to <pipeline>-<name>, the id to the primary key and the fields to every column', () => {
    const languages = compileDocument('Languages', { table: 'language' }, context({ pipeline: 'shop' }));
    expect(languages.index).toBe('shop-languages');
    expect(languages.idColumn).toBe('language_id');
    expect(fieldsOf(languages.root)).toEqual([['language_id', 'language_id'], ['name', 'name'], ['last_update', 'last_update']]);
    expect([...languages.root.usedColumns].sort()).toEqual(['language_id', 'last_update', 'name']);
    expect(languages.tables).toEqual(new Set(['sakila.language']));
    expect(languages.settings).toBeUndefined();
    expect(languages.mappings).toBeUndefined();
  });

  it('keeps an explicit id, field mapping, settings and mappings', () => {
    const definition: DocumentDefinition = {
      table: 'sakila.film',
      id: 'film_id',
      fields: { name: 'title', year: 'release_year' },
      settings: { number_of_shards: 1 },
      mappings: { properties: { name: { type: 'text' } } },
    };
    const films = compileDocument('films', definition, context());
    expect(fieldsOf(films.root)).toEqual([['name', 'title'], ['year', 'release_year']]);
    expect([...films.root.usedColumns].sort()).toEqual(['film_id', 'release_year', 'title']);
    expect(films.settings).toEqual({ number_of_shards: 1 });
    expect(films.mappings).toEqual({ properties: { name: { type: 'text' } } });
  });

  it('adds a non-key id column to the columns the root uses', () => {
    const films = compileDocument('films', { table: 'film', id: 'title', fields: ['length'] }, context());
    expect(films.idColumn).toBe('title');
    expect([...films.root.usedColumns].sort()).toEqual(['film_id', 'length', 'title']);
  });

  it('defaults references to the parent key (oneToMany) and to the embedded key (manyToOne)', () => {
    const languages = compileDocument(
      'languages',
      {
        table: 'language',
        fields: ['name'],
        relations: {
          films: { type: 'oneToMany', table: 'film', foreignKey: 'original_language_id', fields: ['title'] },
          named: { type: 'oneToMany', table: 'film', foreignKey: 'title', references: 'name', scalar: 'film_id' },
        },
      },
      context(),
    );
    const films = node(languages.nodes, 'documents.languages.relations.films');
    expect(films.join).toEqual({ type: 'oneToMany', parentColumn: 'language_id', childColumn: 'original_language_id' });
    // the embedded rows' key, their join column and their fields
    expect([...films.usedColumns].sort()).toEqual(['film_id', 'original_language_id', 'title']);
    const named = node(languages.nodes, 'documents.languages.relations.named');
    expect(named.join).toEqual({ type: 'oneToMany', parentColumn: 'name', childColumn: 'title' });
    expect([...languages.root.usedColumns].sort()).toEqual(['language_id', 'name']);

    const films2 = compileDocument(
      'films',
      { table: 'film', fields: ['title'], relations: { original: { type: 'manyToOne', table: 'language', foreignKey: 'original_language_id', scalar: 'name' } } },
      context(),
    );
    expect(node(films2.nodes, 'documents.films.relations.original').join).toEqual({ type: 'manyToOne', parentColumn: 'original_language_id', childColumn: 'language_id' });
    expect([...films2.root.usedColumns].sort()).toEqual(['film_id', 'original_language_id', 'title']);
  });

  it('compiles nested relations depth-first and reads tables of another database', () => {
    const languages = compileDocument(
      'languages',
      {
        table: 'language',
        relations: {
          films: {
            type: 'oneToMany',
            table: 'film',
            foreignKey: 'language_id',
            fields: ['title'],
            relations: { actors: { type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' }, scalar: 'last_name' } },
          },
          archived: { type: 'oneToMany', table: 'archive.film', foreignKey: 'film_id', references: 'language_id', fields: ['title'] },
        },
      },
      context(),
    );
    expect(languages.nodes.map((candidate) => candidate.path)).toEqual([
      'documents.languages',
      'documents.languages.relations.films',
      'documents.languages.relations.films.relations.actors',
      'documents.languages.relations.archived',
    ]);
    const actors = node(languages.nodes, 'documents.languages.relations.films.relations.actors');
    expect(actors.parent).toBe(node(languages.nodes, 'documents.languages.relations.films'));
    expect(node(languages.nodes, 'documents.languages.relations.archived').table).toBe(info('archive.film'));
    expect([...languages.tables].sort()).toEqual(['archive.film', 'sakila.actor', 'sakila.film', 'sakila.film_actor', 'sakila.language']);
  });
});

describe('compileDocument: link columns, order, filters and computed fields', () => {
  const through = { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' };

  it('resolves a bare name to the embedded table first, then to the link table; table.column names either', () => {
    const films = compileDocument(
      'films',
      { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through, fields: { id: 'actor_id', first_name: 'first_name', updated: 'last_update', credited: 'film_actor.last_update', film: 'film_id', named: 'actor.last_name' } } } },
      context(),
    );
    const actors = node(films.nodes, 'documents.films.relations.actors');
    expect(actors.fields.map((field) => [field.name, field.column.name, field.fromLink === true])).toEqual([
      ['id', 'actor_id', false],
      ['first_name', 'first_name', false],
      ['updated', 'last_update', false],
      ['credited', 'last_update', true],
      ['film', 'film_id', true],
      ['named', 'last_name', false],
    ]);
    // a list names each field after its column
    const listed = compileDocument('films', { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through, fields: ['first_name', 'film_actor.last_update'] } } }, context());
    expect(fieldsOf(node(listed.nodes, 'documents.films.relations.actors'))).toEqual([['first_name', 'first_name'], ['last_update', 'last_update']]);
  });

  it('orders by the named columns, then by the primary keys, and marks where and computed nodes opaque', () => {
    const films = compileDocument(
      'films',
      {
        table: 'film',
        computed: { label: 'UPPER(title)' },
        relations: { actors: { type: 'manyToMany', table: 'actor', through, orderBy: ['film_actor.last_update DESC', 'actor.last_name'], where: 'actor.actor_id > 3', limit: 2 } },
      },
      context(),
    );
    expect(films.root.computed).toEqual([{ name: 'label', expression: 'UPPER(title)' }]);
    expect(films.root.opaque).toBe(true);
    const actors = node(films.nodes, 'documents.films.relations.actors');
    expect(actors.order.slice(0, 3)).toEqual([
      { column: 'last_update', fromLink: true, descending: true },
      { column: 'last_name', fromLink: false, descending: false },
      { column: 'actor_id', fromLink: false, descending: false },
    ]);
    expect(actors.where).toBe('actor.actor_id > 3');
    expect(actors.limit).toBe(2);
    expect(actors.opaque).toBe(true);
    expect([...(actors.join?.link?.usedColumns ?? [])].sort()).toEqual(['actor_id', 'film_id', 'last_update']);
  });

  it('names a column missing from both the embedded and the link table, listing both', () => {
    const error = configurationError(() =>
      compileDocument('films', { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through, fields: { role: 'role' } } } }, context()),
    );
    expect(error.message).toBe(`${FILE}: documents.films.relations.actors.fields.role: column "role" does not exist in sakila.actor nor in the link table sakila.film_actor`);
    expect(error.fix).toContain('or of film_actor: actor_id, film_id, last_update');
    const order = configurationError(() => compileDocument('films', { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through, orderBy: ['last_name', 'position desc'] } } }, context()));
    expect(order.context.key).toBe('documents.films.relations.actors.orderBy[1]');
  });

  it('refuses a computed field named like a field', () => {
    const error = configurationError(() => compileDocument('films', { table: 'film', fields: ['title'], computed: { title: 'UPPER(title)' } }, context()));
    expect(error.message).toBe(`${FILE}: documents.films.computed.title: the name is also a field of documents.films`);
  });
});

describe('compileDocument errors', () => {
  function compileError(definition: DocumentDefinition, overrides: Partial<CompileContext> = {}, name = 'films') {
    return configurationError(() => compileDocument(name, definition, context(overrides)));
  }

  it('names a table that does not exist and lists the tables of its database', () => {
    const error = compileError({ table: 'flim' });
    expect(error.message).toBe(`${FILE}: documents.films.table: table sakila.flim does not exist`);
    expect(error.fix).toBe('use one of the tables of sakila: film, language, actor, film_actor, category, film_category, audit_log');
    expect(error.context).toEqual({ file: FILE, key: 'documents.films.table' });
    const relation = compileError({ table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through: { table: 'film_actors', foreignKey: 'film_id', otherKey: 'actor_id' } } } });
    expect(relation.message).toBe(`${FILE}: documents.films.relations.actors.through.table: table sakila.film_actors does not exist`);
    expect(relation.fix).toContain('film_actor');
  });

  it('says to check the database name when the database has no table at all', () => {
    const error = compileError({ table: 'sakilla.film' });
    expect(error.message).toBe(`${FILE}: documents.films.table: table sakilla.film does not exist`);
    expect(error.fix).toBe('check the database name sakilla');
  });

  it('names a column that does not exist and lists the columns of its table', () => {
    const field = compileError({ table: 'language', fields: ['name', 'nme'] });
    expect(field.message).toBe(`${FILE}: documents.films.fields.nme: column "nme" does not exist in sakila.language`);
    expect(field.fix).toBe('use one of its columns: language_id, name, last_update');
    expect(field.context).toEqual({ file: FILE, key: 'documents.films.fields.nme' });
    const mapped = compileError({ table: 'language', fields: { label: 'nme' } });
    expect(mapped.message).toBe(`${FILE}: documents.films.fields.label: column "nme" does not exist in sakila.language`);
  });

  it.each([
    ['an id', { table: 'film', id: 'filmid' }, 'documents.films.id', 'sakila.film'],
    ['a foreignKey of a manyToOne (a parent column)', { table: 'film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'lang_id' } } }, 'documents.films.relations.language.foreignKey', 'sakila.film'],
    ['a references of a manyToOne (an embedded column)', { table: 'film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id', references: 'id' } } }, 'documents.films.relations.language.references', 'sakila.language'],
    ['a foreignKey of a oneToMany (an embedded column)', { table: 'language', relations: { films: { type: 'oneToMany', table: 'film', foreignKey: 'lang_id' } } }, 'documents.films.relations.films.foreignKey', 'sakila.film'],
    ['a references of a oneToMany (a parent column)', { table: 'language', relations: { films: { type: 'oneToMany', table: 'film', foreignKey: 'language_id', references: 'id' } } }, 'documents.films.relations.films.references', 'sakila.language'],
    ['a link foreignKey', { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'movie_id', otherKey: 'actor_id' } } } }, 'documents.films.relations.actors.through.foreignKey', 'sakila.film_actor'],
    ['a link otherKey', { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actorid' } } } }, 'documents.films.relations.actors.through.otherKey', 'sakila.film_actor'],
    ['a scalar', { table: 'film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id', scalar: 'label' } } }, 'documents.films.relations.language.scalar', 'sakila.language'],
    ['a nested field', { table: 'film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id', fields: { label: 'label' } } } }, 'documents.films.relations.language.fields.label', 'sakila.language'],
  ] as const)('names a missing column in %s with its key path and the columns of the right table', (_name, definition, key, tableName) => {
    const error = compileError(definition);
    expect(error.message).toMatch(new RegExp(`^${FILE.replaceAll('.', '\\.')}: ${key.replaceAll('.', '\\.')}: column "[^"]+" does not exist in ${tableName.replace('.', '\\.')}$`));
    expect(error.fix).toBe(`use one of its columns: ${info(tableName).columns.map((column) => column.name).join(', ')}`);
    expect(error.context.key).toBe(key);
  });

  it('refuses a table the pipeline does not capture', () => {
    const isCaptured = (db: string, name: string): boolean => !(db === 'sakila' && name === 'language');
    const error = compileError({ table: 'film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id' } } }, { isCaptured });
    expect(error.message).toBe(`${FILE}: documents.films.relations.language.table: table sakila.language is not captured by source.mysql`);
    expect(error.fix).toBe('add sakila.language to source.mysql.include (or remove it from exclude): a document must only read captured tables');
    const link = compileError(
      { table: 'film', relations: { actors: { type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' } } } },
      { isCaptured: (_db, name) => name !== 'film_actor' },
    );
    expect(link.message).toBe(`${FILE}: documents.films.relations.actors.through.table: table sakila.film_actor is not captured by source.mysql`);
  });

  it('refuses a table without a primary key', () => {
    const root = compileError({ table: 'audit_log', id: 'log_id' }, {}, 'logs');
    expect(root.message).toBe(`${FILE}: documents.logs: table sakila.audit_log has no primary key`);
    expect(root.fix).toContain('give the table a primary key');
    expect(root.context.key).toBe('documents.logs');
    const relation = compileError({ table: 'film', relations: { log: { type: 'oneToMany', table: 'audit_log', foreignKey: 'film_id' } } });
    expect(relation.message).toBe(`${FILE}: documents.films.relations.log: table sakila.audit_log has no primary key`);
    // without an id, the complaint is still the missing primary key
    const noId = compileError({ table: 'audit_log' }, {}, 'logs');
    expect(noId.message).toBe(`${FILE}: documents.logs.id: table sakila.audit_log has no primary key`);
    expect(noId.fix).toMatch(/give the table a primary key/);
  });

  it('requires an id for a root with a composite primary key', () => {
    const error = compileError({ table: 'film_actor' }, {}, 'roles');
    expect(error.message).toBe(`${FILE}: documents.roles.id: sakila.film_actor has no single-column primary key to default to`);
    expect(error.fix).toBe('name the column explicitly in documents.roles.id');
    expect(error.context.key).toBe('documents.roles.id');
    expect(compileDocument('roles', { table: 'film_actor', id: 'actor_id' }, context()).idColumn).toBe('actor_id');
  });

  it('requires references for a oneToMany from a parent with a composite primary key', () => {
    const error = compileError({ table: 'film_actor', id: 'actor_id', relations: { film: { type: 'oneToMany', table: 'film', foreignKey: 'film_id' } } });
    expect(error.message).toBe(`${FILE}: documents.films.relations.film.references: sakila.film_actor has no single-column primary key to default to`);
    expect(error.fix).toBe('name the column explicitly in documents.films.relations.film.references');
  });

  it('refuses a relation named like a field of the same object', () => {
    const error = compileError({ table: 'film', fields: { title: 'title', language: 'language_id' }, relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id' } } });
    expect(error.message).toBe(`${FILE}: documents.films.relations.language: the name is also a field of documents.films`);
    expect(error.fix).toBe('rename the relation or the field "language"');
    expect(error.context.key).toBe('documents.films.relations.language');
    const defaulted = compileError({ table: 'film', relations: { title: { type: 'manyToOne', table: 'language', foreignKey: 'language_id' } } });
    expect(defaulted.message).toBe(`${FILE}: documents.films.relations.title: the name is also a field of documents.films`);
  });

  it('requires database.table when the pipeline has several databases', () => {
    const error = compileError({ table: 'film' }, { defaultDatabase: undefined });
    expect(error.message).toBe(`${FILE}: documents.films.table: "film" names no database and the pipeline has several`);
    expect(error.fix).toBe('write database.table, e.g. sakila.film or archive.film');
    const relation = compileError({ table: 'sakila.film', relations: { language: { type: 'manyToOne', table: 'language', foreignKey: 'language_id' } } }, { defaultDatabase: undefined });
    expect(relation.message).toBe(`${FILE}: documents.films.relations.language.table: "language" names no database and the pipeline has several`);
    const qualified = compileDocument('films', { table: 'archive.film' }, context({ defaultDatabase: undefined }));
    expect(qualified.root.table).toBe(info('archive.film'));
  });
});

describe('compileDocuments', () => {
  it('compiles every definition in order', () => {
    const descriptors = compileDocuments({ films: { table: 'film' }, actors: { table: 'actor' } }, context());
    expect(descriptors.map((descriptor) => [descriptor.name, descriptor.index])).toEqual([
      ['films', 'sakila-films'],
      ['actors', 'sakila-actors'],
    ]);
  });

  it('refuses two documents on the same index', () => {
    const explicit = configurationError(() => compileDocuments({ films: { table: 'film', index: 'catalog' }, actors: { table: 'actor', index: 'catalog' } }, context()));
    expect(explicit.message).toBe(`${FILE}: documents.actors.index: index catalog is also written by documents.films`);
    expect(explicit.fix).toBe('give each document family its own index');
    expect(explicit.context.key).toBe('documents.actors.index');
    // names differing only in case default to the same index
    const defaulted = configurationError(() => compileDocuments({ films: { table: 'film' }, Films: { table: 'film' } }, context()));
    expect(defaulted.message).toBe(`${FILE}: documents.Films.index: index sakila-films is also written by documents.films`);
    const collision = configurationError(() => compileDocuments({ films: { table: 'film' }, other: { table: 'actor', index: 'sakila-films' } }, context()));
    expect(collision.message).toBe(`${FILE}: documents.other.index: index sakila-films is also written by documents.films`);
  });

  it('stops at the first document with an error', () => {
    const error = configurationError(() => compileDocuments({ films: { table: 'film' }, actors: { table: 'actr' } }, context()));
    expect(error.message).toBe(`${FILE}: documents.actors.table: table sakila.actr does not exist`);
  });
});
