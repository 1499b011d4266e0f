import type { DocumentDefinition, RelationDefinition } from '../config/document-definition.js';
import type { ColumnDefinition } from '../model/column.js';
import type { ForeignKey } from '../model/foreign-key.js';
import { tableKey, type TableInfo } from '../model/table.js';

/**
 * A first document definition for a root table, proposed from the foreign keys of the database
 * (`sluice init`): many-to-one relations for the root's foreign keys, one-to-many for the tables
 * that refer to it, many-to-many through link tables, to a chosen depth, and index mappings
 * guessed from the column types. A starting point to edit, not a final design.
 */

/** What scaffolding reads: the tables and their single-column foreign keys. */
export interface SchemaGraph {
  readonly catalog: ReadonlyMap<string, TableInfo>;
  readonly foreignKeys: readonly ForeignKey[];
}

/** A proposed document, and the databases its tables live in. */
export interface ScaffoldedDocument {
  readonly definition: DocumentDefinition;
  readonly databases: readonly string[];
}

/**
 * Proposes a document rooted at `root` (`db.table`), following foreign keys `depth` levels deep.
 * Only tables with a primary key are embedded; a table already on the path is not embedded again.
 */
export function scaffoldDocument(graph: SchemaGraph, root: TableInfo, depth: number): ScaffoldedDocument {
  const databases = new Set<string>([root.db]);
  const relations = relationsOf(graph, root, depth, [tableKey(root.db, root.table)], databases);
  const properties = mappingsOf(root.columns);
  addRelationMappings(graph, root, relations, properties);
  const definition: DocumentDefinition = {
    table: root.table,
    fields: root.columns.map((column) => column.name),
    ...(Object.keys(relations).length > 0 ? { relations } : {}),
    mappings: { properties },
  };
  return { definition, databases: [...databases] };
}

/** A table is a link table when its primary key is exactly two columns, each a foreign key. */
function linkKeys(graph: SchemaGraph, table: TableInfo): [ForeignKey, ForeignKey] | undefined {
  if (table.primaryKey.length !== 2) return undefined;
  const keys = table.primaryKey.map((column) => graph.foreignKeys.find((key) => key.db === table.db && key.table === table.table && key.column === column));
  const [first, second] = keys;
  return first !== undefined && second !== undefined ? [first, second] : undefined;
}

function tableOf(graph: SchemaGraph, db: string, table: string): TableInfo | undefined {
  return graph.catalog.get(tableKey(db, table));
}

function plural(name: string): string {
  if (name.endsWith('s')) return name;
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  return `${name}s`;
}

/** A relation name: letters, digits, "_" and "-", starting with a letter, not taken yet. */
function freeName(wanted: string, taken: Set<string>): string {
  let base = wanted.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z]/.test(base)) base = `r_${base}`;
  let name = base.slice(0, 60);
  for (let suffix = 2; taken.has(name); suffix += 1) name = `${base.slice(0, 56)}_${suffix}`;
  taken.add(name);
  return name;
}

function qualified(parent: TableInfo, table: TableInfo, databases: Set<string>): string {
  databases.add(table.db);
  return table.db === parent.db ? table.table : `${table.db}.${table.table}`;
}

function relationsOf(graph: SchemaGraph, table: TableInfo, depth: number, path: readonly string[], databases: Set<string>): Record<string, RelationDefinition> {
  if (depth <= 0) return {};
  const relations: Record<string, RelationDefinition> = {};
  const taken = new Set(table.columns.map((column) => column.name));
  const onPath = (info: TableInfo): boolean => path.includes(tableKey(info.db, info.table));
  const nested = (info: TableInfo): Record<string, RelationDefinition> => relationsOf(graph, info, depth - 1, [...path, tableKey(info.db, info.table)], databases);
  const withNested = (relation: RelationDefinition, info: TableInfo): RelationDefinition => {
    const children = nested(info);
    return Object.keys(children).length > 0 ? { ...relation, relations: children } : relation;
  };
  // many-to-one: the table's own foreign keys
  for (const key of graph.foreignKeys.filter((candidate) => candidate.db === table.db && candidate.table === table.table)) {
    const target = tableOf(graph, key.refDb, key.refTable);
    if (target === undefined || target.primaryKey.length === 0 || onPath(target)) continue;
    const single = target.primaryKey.length === 1 && target.primaryKey[0] === key.refColumn;
    const name = freeName(key.column.endsWith('_id') && key.column.length > 3 ? key.column.slice(0, -3) : key.refTable, taken);
    relations[name] = withNested(
      {
        type: 'manyToOne',
        table: qualified(table, target, databases),
        foreignKey: key.column,
        ...(single ? {} : { references: key.refColumn }),
        fields: target.columns.map((column) => column.name),
      },
      target,
    );
  }
  // one-to-many and many-to-many: the foreign keys that refer to the table
  for (const key of graph.foreignKeys.filter((candidate) => candidate.refDb === table.db && candidate.refTable === table.table)) {
    const child = tableOf(graph, key.db, key.table);
    if (child === undefined || child.primaryKey.length === 0) continue;
    const references = table.primaryKey.length === 1 && table.primaryKey[0] === key.refColumn ? {} : { references: key.refColumn };
    const link = linkKeys(graph, child);
    if (link !== undefined) {
      const other = link[0].column === key.column ? link[1] : link[0];
      const far = tableOf(graph, other.refDb, other.refTable);
      if (far === undefined || far.primaryKey.length === 0 || onPath(far)) continue;
      const farSingle = far.primaryKey.length === 1 && far.primaryKey[0] === other.refColumn;
      relations[freeName(plural(far.table), taken)] = withNested(
        {
          type: 'manyToMany',
          table: qualified(table, far, databases),
          ...references,
          through: { table: qualified(table, child, databases), foreignKey: key.column, otherKey: other.column, ...(farSingle ? {} : { references: other.refColumn }) },
          fields: far.columns.map((column) => column.name),
        },
        far,
      );
      continue;
    }
    if (onPath(child)) continue;
    relations[freeName(plural(child.table), taken)] = withNested(
      { type: 'oneToMany', table: qualified(table, child, databases), foreignKey: key.column, ...references, fields: child.columns.filter((column) => column.name !== key.column).map((column) => column.name) },
      child,
    );
  }
  return relations;
}

/** The index mapping of one column, guessed from its type; undefined leaves it to dynamic mapping. */
export function mappingOf(column: ColumnDefinition): Record<string, unknown> | undefined {
  switch (column.baseType) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'integer':
    case 'year':
      return { type: column.baseType === 'int' && column.unsigned ? 'long' : 'integer' };
    case 'bigint':
      return { type: column.unsigned ? 'unsigned_long' : 'long' };
    case 'decimal':
    case 'float':
    case 'double':
      return { type: 'double' };
    case 'date':
    case 'datetime':
    case 'timestamp':
      return { type: 'date' };
    case 'char':
    case 'varchar':
      return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      return { type: 'text' };
    case 'enum':
    case 'set':
    case 'time':
      return { type: 'keyword' };
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return { type: 'binary' };
    default:
      return undefined;
  }
}

function mappingsOf(columns: readonly ColumnDefinition[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const column of columns) {
    const mapping = mappingOf(column);
    if (mapping !== undefined) properties[column.name] = mapping;
  }
  return properties;
}

/** Adds the mappings of the embedded objects, following the definition just proposed. */
function addRelationMappings(graph: SchemaGraph, parent: TableInfo, relations: Readonly<Record<string, RelationDefinition>>, properties: Record<string, unknown>): void {
  for (const [name, relation] of Object.entries(relations)) {
    const dot = relation.table.indexOf('.');
    const info = dot > 0 ? tableOf(graph, relation.table.slice(0, dot), relation.table.slice(dot + 1)) : tableOf(graph, parent.db, relation.table);
    if (info === undefined) continue;
    const selected = new Set(Array.isArray(relation.fields) ? (relation.fields as readonly string[]) : info.columns.map((column) => column.name));
    const nested = mappingsOf(info.columns.filter((column) => selected.has(column.name)));
    addRelationMappings(graph, info, relation.relations ?? {}, nested);
    properties[name] = { properties: nested };
  }
}
