import { ConfigurationError } from '../errors.js';
import type { ColumnDefinition } from '../model/column.js';
import { tableKey, type TableInfo } from '../model/table.js';
import { METADATA_PROPERTY } from './build-documents.js';
import { databaseBuildObstacle } from './json-select.js';
import type { DocumentDefinition, FieldSelection, RelationDefinition } from '../config/document-definition.js';
import type { DescriptorComputed, DescriptorField, DescriptorJoin, DescriptorNode, DescriptorOrder, DocumentDescriptor } from './document-descriptor.js';

/** Where compilation looks tables up, and what names mean. */
export interface CompileContext {
  /** The pipeline file, for messages. */
  readonly file: string;
  readonly pipeline: string;
  /** Database of table names written without one (the pipeline's only database). */
  readonly defaultDatabase: string | undefined;
  /** The tables of the database, by `db.table`. */
  readonly catalog: ReadonlyMap<string, TableInfo>;
  /** Whether the pipeline captures a table; a document must not read a table that is not captured. */
  readonly isCaptured: (db: string, table: string) => boolean;
}

/** The index of a document family whose definition names none: `<pipeline>-<name in lowercase>`. */
export function defaultIndexName(pipeline: string, document: string): string {
  return `${pipeline}-${document.toLowerCase()}`;
}

/**
 * Compiles a document definition against the database catalog. Every table and column must
 * exist, every table must be captured and have a primary key, and the root id must be one
 * column; otherwise a ConfigurationError names the key in the pipeline file and the fix.
 */
export function compileDocument(name: string, definition: DocumentDefinition, context: CompileContext): DocumentDescriptor {
  const path = `documents.${name}`;
  const rootTable = resolveTable(definition.table, `${path}.table`, context);
  const idColumn = definition.id ?? singleKey(rootTable, `${path}.id`, context);
  requireColumn(rootTable, idColumn, `${path}.id`, context);
  const nodes: DescriptorNode[] = [];
  const tables = new Set<string>();
  const root = compileNode(
    { path, property: undefined, table: rootTable, definition: { fields: definition.fields, computed: definition.computed, relations: definition.relations }, join: undefined, parent: undefined, idColumn },
    context,
    nodes,
    tables,
  );
  const descriptor: DocumentDescriptor = {
    name,
    index: definition.index ?? defaultIndexName(context.pipeline, name),
    root,
    idColumn,
    nodes,
    tables,
    settings: definition.settings,
    mappings: definition.mappings,
    buildIn: definition.buildIn ?? 'sink',
  };
  if (descriptor.buildIn === 'database') {
    const obstacle = databaseBuildObstacle(descriptor);
    if (obstacle !== undefined) {
      throw new ConfigurationError(`${context.file}: ${path}.buildIn: the database cannot make these documents: ${obstacle}`, `remove ${path}.buildIn (the sink builds them) or what stands in the way`, {
        context: { file: context.file, key: `${path}.buildIn` },
      });
    }
  }
  return descriptor;
}

interface NodeSource {
  readonly path: string;
  readonly property: string | undefined;
  readonly table: TableInfo;
  /** What the pipeline file says of the node (the root has only fields, computed and relations). */
  readonly definition: Pick<RelationDefinition, 'fields' | 'scalar' | 'computed' | 'orderBy' | 'where' | 'limit' | 'relations'>;
  readonly join: DescriptorJoin | undefined;
  readonly parent: DescriptorNode | undefined;
  readonly idColumn?: string;
}

function compileNode(source: NodeSource, context: CompileContext, nodes: DescriptorNode[], tables: Set<string>): DescriptorNode {
  const { table, path } = source;
  if (table.primaryKey.length === 0) {
    throw new ConfigurationError(
      `${context.file}: ${path}: table ${tableKey(table.db, table.table)} has no primary key`,
      'give the table a primary key: sluice remembers which rows each document was built from by their keys',
      { context: { file: context.file, key: path } },
    );
  }
  tables.add(tableKey(table.db, table.table));
  const { definition } = source;
  const link = source.join?.link;
  if (link !== undefined) tables.add(tableKey(link.table.db, link.table.table));
  if (link !== undefined && link.table.table === table.table) {
    throw new ConfigurationError(
      `${context.file}: ${path}.through.table: the link table and the embedded table are both called ${table.table}`,
      'a many-to-many relation needs a link table whose name differs from the embedded table (their names qualify columns in fields, orderBy and where)',
      { context: { file: context.file, key: `${path}.through.table` } },
    );
  }
  const columns: ColumnScope = { table, link: link?.table, path, context };
  const scalar = definition.scalar === undefined ? undefined : requireColumn(table, definition.scalar, `${path}.scalar`, context);
  const fields = scalar === undefined ? selectFields(columns, definition.fields, `${path}.fields`) : [];
  const computed: DescriptorComputed[] = Object.entries(definition.computed ?? {}).map(([name, expression]) => ({ name, expression }));
  const order = compileOrder(columns, definition.orderBy, `${path}.orderBy`);
  const children: DescriptorNode[] = [];
  const usedColumns = new Set<string>([...table.primaryKey, ...fields.filter((field) => field.fromLink !== true).map((field) => field.column.name), ...order.filter((term) => !term.fromLink).map((term) => term.column)]);
  if (scalar !== undefined) usedColumns.add(scalar.name);
  if (source.join !== undefined) usedColumns.add(source.join.childColumn);
  if (source.idColumn !== undefined) usedColumns.add(source.idColumn);
  // the link columns this node embeds or orders by count as used, as the join columns do
  const join: DescriptorJoin | undefined =
    link === undefined || source.join === undefined
      ? source.join
      : {
          ...source.join,
          link: {
            ...link,
            usedColumns: new Set([...link.usedColumns, ...fields.filter((field) => field.fromLink === true).map((field) => field.column.name), ...order.filter((term) => term.fromLink).map((term) => term.column)]),
          },
        };
  const node: DescriptorNode = {
    path,
    property: source.property,
    table,
    fields,
    scalar,
    computed,
    order,
    where: definition.where,
    limit: definition.limit,
    opaque: definition.where !== undefined || computed.length > 0,
    join,
    parent: source.parent,
    children,
    usedColumns,
  };
  nodes.push(node);
  const reserved = [...fields.map((field) => field.name), ...computed.map((field) => field.name), ...Object.keys(definition.relations ?? {})].find((name) => name === METADATA_PROPERTY);
  if (reserved !== undefined) {
    throw new ConfigurationError(`${context.file}: ${path}: "${reserved}" is reserved for sluice's bookkeeping`, `give the field or relation "${reserved}" another name`, {
      context: { file: context.file, key: path },
    });
  }
  for (const field of computed) {
    if (fields.some((other) => other.name === field.name)) {
      throw new ConfigurationError(`${context.file}: ${path}.computed.${field.name}: the name is also a field of ${path}`, `rename the computed field or the field "${field.name}"`, {
        context: { file: context.file, key: `${path}.computed.${field.name}` },
      });
    }
  }
  for (const [property, relation] of Object.entries(definition.relations ?? {})) {
    if (fields.some((field) => field.name === property) || computed.some((field) => field.name === property)) {
      throw new ConfigurationError(
        `${context.file}: ${path}.relations.${property}: the name is also a field of ${path}`,
        `rename the relation or the field "${property}"`,
        { context: { file: context.file, key: `${path}.relations.${property}` } },
      );
    }
    const relationPath = `${path}.relations.${property}`;
    const childTable = resolveTable(relation.table, `${relationPath}.table`, context);
    const join = compileJoin(relation, table, childTable, relationPath, context);
    usedColumns.add(join.parentColumn);
    children.push(
      compileNode({ path: relationPath, property, table: childTable, definition: relation, join, parent: node }, context, nodes, tables),
    );
  }
  return node;
}

function compileJoin(relation: RelationDefinition, parent: TableInfo, child: TableInfo, path: string, context: CompileContext): DescriptorJoin {
  switch (relation.type) {
    case 'manyToOne': {
      const parentColumn = requireColumn(parent, relation.foreignKey ?? '', `${path}.foreignKey`, context).name;
      const childColumn = relation.references ?? singleKey(child, `${path}.references`, context);
      requireColumn(child, childColumn, `${path}.references`, context);
      return { type: relation.type, parentColumn, childColumn };
    }
    case 'oneToMany': {
      const childColumn = requireColumn(child, relation.foreignKey ?? '', `${path}.foreignKey`, context).name;
      const parentColumn = relation.references ?? singleKey(parent, `${path}.references`, context);
      requireColumn(parent, parentColumn, `${path}.references`, context);
      return { type: relation.type, parentColumn, childColumn };
    }
    case 'manyToMany': {
      const through = relation.through;
      if (through === undefined) throw new ConfigurationError(`${context.file}: ${path}.through: is required`, 'name the link table', { context: { file: context.file, key: `${path}.through` } });
      const linkTable = resolveTable(through.table, `${path}.through.table`, context);
      const parentColumn = relation.references ?? singleKey(parent, `${path}.references`, context);
      requireColumn(parent, parentColumn, `${path}.references`, context);
      const childColumn = through.references ?? singleKey(child, `${path}.through.references`, context);
      requireColumn(child, childColumn, `${path}.through.references`, context);
      return {
        type: relation.type,
        parentColumn,
        childColumn,
        link: {
          table: linkTable,
          parentColumn: requireColumn(linkTable, through.foreignKey, `${path}.through.foreignKey`, context).name,
          childColumn: requireColumn(linkTable, through.otherKey, `${path}.through.otherKey`, context).name,
          usedColumns: new Set([through.foreignKey, through.otherKey]),
        },
      };
    }
  }
}

function resolveTable(name: string, key: string, context: CompileContext): TableInfo {
  const dot = name.indexOf('.');
  const db = dot > 0 ? name.slice(0, dot) : context.defaultDatabase;
  const table = dot > 0 ? name.slice(dot + 1) : name;
  if (db === undefined) {
    throw new ConfigurationError(`${context.file}: ${key}: "${name}" names no database and the pipeline has several`, `write database.table, e.g. ${[...new Set([...context.catalog.values()].map((info) => info.db))].map((database) => `${database}.${name}`).slice(0, 5).join(' or ')}`, { context: { file: context.file, key } });
  }
  const info = context.catalog.get(tableKey(db, table));
  if (info === undefined) {
    const known = [...context.catalog.values()].filter((candidate) => candidate.db === db).map((candidate) => candidate.table);
    throw new ConfigurationError(
      `${context.file}: ${key}: table ${tableKey(db, table)} does not exist`,
      known.length === 0 ? `check the database name ${db}` : `use one of the tables of ${db}: ${known.slice(0, 30).join(', ')}`,
      { context: { file: context.file, key } },
    );
  }
  if (!context.isCaptured(db, table)) {
    throw new ConfigurationError(
      `${context.file}: ${key}: table ${tableKey(db, table)} is not captured by source.mysql`,
      `add ${tableKey(db, table)} to source.mysql.include (or remove it from exclude): a document must only read captured tables`,
      { context: { file: context.file, key } },
    );
  }
  return info;
}

function requireColumn(table: TableInfo, name: string, key: string, context: CompileContext): ColumnDefinition {
  const column = table.columns.find((candidate) => candidate.name === name);
  if (column === undefined) {
    throw new ConfigurationError(
      `${context.file}: ${key}: column "${name}" does not exist in ${tableKey(table.db, table.table)}`,
      `use one of its columns: ${table.columns.map((candidate) => candidate.name).join(', ')}`,
      { context: { file: context.file, key } },
    );
  }
  return column;
}

function singleKey(table: TableInfo, key: string, context: CompileContext): string {
  const [only, ...rest] = table.primaryKey;
  if (only === undefined) {
    throw new ConfigurationError(
      `${context.file}: ${key}: table ${tableKey(table.db, table.table)} has no primary key`,
      'give the table a primary key: sluice remembers which rows each document was built from by their keys',
      { context: { file: context.file, key } },
    );
  }
  if (rest.length > 0) {
    throw new ConfigurationError(
      `${context.file}: ${key}: ${tableKey(table.db, table.table)} has no single-column primary key to default to`,
      `name the column explicitly in ${key}`,
      { context: { file: context.file, key } },
    );
  }
  return only;
}

/** The columns names may refer to: the node's table, and for a many-to-many relation its link table. */
interface ColumnScope {
  readonly table: TableInfo;
  readonly link: TableInfo | undefined;
  readonly path: string;
  readonly context: CompileContext;
}

/**
 * Resolves a column name of a fields list or orderBy: `table.column` names the node's table or
 * the link table explicitly; a bare name is the node's column, else the link's.
 */
function resolveColumn(scope: ColumnScope, name: string, key: string): { column: ColumnDefinition; fromLink: boolean } {
  const { table, link, context } = scope;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const prefix = name.slice(0, dot);
    const rest = name.slice(dot + 1);
    if (link !== undefined && prefix === link.table) return { column: requireColumn(link, rest, key, context), fromLink: true };
    if (prefix === table.table && !table.columns.some((column) => column.name === name)) return { column: requireColumn(table, rest, key, context), fromLink: false };
  }
  const own = table.columns.find((column) => column.name === name);
  if (own !== undefined) return { column: own, fromLink: false };
  const linked = link?.columns.find((column) => column.name === name);
  if (linked !== undefined) return { column: linked, fromLink: true };
  if (link === undefined) return { column: requireColumn(table, name, key, context), fromLink: false };
  throw new ConfigurationError(
    `${context.file}: ${key}: column "${name}" does not exist in ${tableKey(table.db, table.table)} nor in the link table ${tableKey(link.db, link.table)}`,
    `use one of the columns of ${table.table}: ${table.columns.map((column) => column.name).join(', ')}; or of ${link.table}: ${link.columns.map((column) => column.name).join(', ')}`,
    { context: { file: context.file, key } },
  );
}

function selectFields(scope: ColumnScope, selection: FieldSelection | undefined, key: string): DescriptorField[] {
  const { table } = scope;
  if (selection === undefined) return table.columns.map((column) => ({ name: column.name, column }));
  const pairs: Array<[string, string]> = Array.isArray(selection)
    ? (selection as readonly string[]).map((column) => [column.slice(column.lastIndexOf('.') + 1), column])
    : Object.entries(selection as Record<string, string>);
  const seen = new Set<string>();
  return pairs.map(([name, column]) => {
    if (seen.has(name)) {
      throw new ConfigurationError(`${scope.context.file}: ${key}: "${name}" appears twice`, 'give each field its own name: use a mapping, e.g. { link_id: film_actor.actor_id }', {
        context: { file: scope.context.file, key },
      });
    }
    seen.add(name);
    const resolved = resolveColumn(scope, column, `${key}.${name}`);
    return resolved.fromLink ? { name, column: resolved.column, fromLink: true } : { name, column: resolved.column };
  });
}

/** The order of a node's rows: the terms of `orderBy`, then the primary key, then the link's. */
function compileOrder(scope: ColumnScope, orderBy: string | readonly string[] | undefined, key: string): DescriptorOrder[] {
  const terms = orderBy === undefined ? [] : typeof orderBy === 'string' ? [orderBy] : orderBy;
  const order: DescriptorOrder[] = terms.map((term, index) => {
    const [name = '', direction] = term.trim().split(/\s+/);
    const resolved = resolveColumn(scope, name, Array.isArray(orderBy) ? `${key}[${index}]` : key);
    return { column: resolved.column.name, fromLink: resolved.fromLink, descending: direction?.toLowerCase() === 'desc' };
  });
  for (const column of scope.table.primaryKey) order.push({ column, fromLink: false, descending: false });
  for (const column of scope.link?.primaryKey ?? []) order.push({ column, fromLink: true, descending: false });
  return order;
}

/** Compiles every document definition of a pipeline (see {@link compileDocument}); document names must map to distinct indexes. */
export function compileDocuments(definitions: Readonly<Record<string, DocumentDefinition>>, context: CompileContext): DocumentDescriptor[] {
  const descriptors = Object.entries(definitions).map(([name, definition]) => compileDocument(name, definition, context));
  const seen = new Map<string, string>();
  for (const descriptor of descriptors) {
    const other = seen.get(descriptor.index);
    if (other !== undefined) {
      throw new ConfigurationError(
        `${context.file}: documents.${descriptor.name}.index: index ${descriptor.index} is also written by documents.${other}`,
        'give each document family its own index',
        { context: { file: context.file, key: `documents.${descriptor.name}.index` } },
      );
    }
    seen.set(descriptor.index, descriptor.name);
  }
  return descriptors;
}
