import type { ColumnDefinition } from '../model/column.js';
import type { DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
import { nodeQuery } from './node-query.js';
import { quoteIdentifier } from './sql.js';

/**
 * One query that makes a document's JSON in the database (MariaDB 10.5 and later: JSON_OBJECT,
 * and JSON_ARRAYAGG with ORDER BY and LIMIT), text for text what build-documents.ts makes from
 * the rows in JavaScript, so the sink parses no rows and allocates no row objects. Each row of
 * the result is `[id, body, refs]`: the root's id column, the document's content as compact
 * JSON, and the `db.table:key` references of the embedded rows as nested JSON arrays in the
 * order the JavaScript build visits them (see {@link flattenReferences}).
 *
 * Only descriptors whose every value prints the same both ways get one ({@link jsonSelectOf}
 * says undefined otherwise, {@link databaseBuildObstacle} why): column types whose text form
 * documents keep (integers, BIGINT as a number while exact, DECIMAL, character strings, ENUM,
 * SET of plain members, YEAR, DATE, TIME, DATETIME, TIMESTAMP), no computed fields, integer
 * join columns (SQL equality is then the JavaScript build's string match), single-column primary
 * keys, and no table name twice on a path from the root (each table is aliased by its name, as
 * in nodeQuery, whose table expressions and orders the query reuses).
 */
export interface JsonSelect {
  /** `SELECT id, body, refs FROM root ... WHERE id IN (?) ... ORDER BY ...`: the ids go last. */
  readonly sql: string;
  /** The values of the placeholders before the ids' (property names and reference prefixes). */
  readonly constants: readonly string[];
}

/** SQL text with the values of its placeholders, in order. */
interface Fragment {
  readonly text: string;
  readonly params: readonly string[];
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum']);
const SIMPLE_TYPES = new Set([...INTEGER_TYPES, ...TEXT_TYPES, 'bigint', 'decimal', 'year', 'date', 'time', 'datetime', 'timestamp']);
/** The largest integer a double holds exactly (documents keep BIGINT as a number up to it). */
const SAFE_INTEGER = '9007199254740991';

const selects = new WeakMap<DocumentDescriptor, JsonSelect | null>();

/** The query of `descriptor` (see {@link JsonSelect}), worked out once; undefined when the descriptor needs the JavaScript build. */
export function jsonSelectOf(descriptor: DocumentDescriptor): JsonSelect | undefined {
  let select = selects.get(descriptor);
  if (select === undefined) {
    select = databaseBuildObstacle(descriptor) === undefined ? compile(descriptor) : null;
    selects.set(descriptor, select);
  }
  return select ?? undefined;
}

/**
 * The references of a document in the order the JavaScript build pushes them: `nested` is the
 * parsed `refs` column, arrays within arrays, each embedded row's reference followed by those of
 * the rows it embeds.
 */
export function flattenReferences(nested: unknown, into: string[] = []): string[] {
  if (Array.isArray(nested)) for (const item of nested) flattenReferences(item, into);
  else if (typeof nested === 'string') into.push(nested);
  return into;
}

/**
 * `json` with the escapes JSON.stringify writes: MariaDB writes control characters other than
 * `\b \f \n \r \t` as `\u00XX` with upper-case digits where JavaScript writes lower-case ones
 * (the only difference found over every ASCII character). A backslash escaped as `\\` before
 * `u00` is text, not an escape, and stays.
 */
export function withJavaScriptEscapes(json: string): string {
  if (!json.includes('\\u00')) return json;
  return json.replace(/(\\+)u00([0-9A-Fa-f]{2})/g, (match: string, slashes: string, hex: string) => (slashes.length % 2 === 1 ? `${slashes}u00${hex.toLowerCase()}` : match));
}

/**
 * Why the database cannot make `descriptor`'s documents as the sink does (the first reason
 * found, naming the key in the pipeline file), or undefined when it can.
 */
export function databaseBuildObstacle(descriptor: DocumentDescriptor): string | undefined {
  for (const node of descriptor.nodes) {
    if (repeatsTableOnItsPath(node)) return `${node.path}: table ${node.table.table} is also one of its parents' (their SQL aliases would clash)`;
    if (node.computed.length > 0) return `${node.path}.computed: a computed value's type is known only once it is read`;
    if (node.table.primaryKey.length !== 1 || !hasSimpleColumn(node, node.table.primaryKey[0] ?? '')) return `${node.path}: table ${node.table.table} needs a one-column primary key of a plain type`;
    const columns = node.scalar === undefined ? node.fields.map((field) => field.column) : [node.scalar];
    const unlike = columns.find((column) => !printsAlike(column));
    if (unlike !== undefined) return `${node.path}: column ${unlike.name} (${unlike.baseType}) is written differently by the database's JSON`;
    if (node.scalar !== undefined && node.children.length > 0) return `${node.path}: a scalar relation with relations of its own`;
    const relation = node.join;
    if (relation !== undefined) {
      const link = relation.link;
      const integerJoin =
        node.property !== undefined &&
        node.parent !== undefined &&
        hasIntegerColumn(node.parent, relation.parentColumn) &&
        hasIntegerColumn(node, relation.childColumn) &&
        (link === undefined || (isIntegerColumn(columnOf(link.table.columns, link.parentColumn)) && isIntegerColumn(columnOf(link.table.columns, link.childColumn))));
      if (!integerJoin) return `${node.path}: joined on a column that is not an integer (SQL compares text by collation, the sink by exact text)`;
    }
  }
  return hasSimpleColumn(descriptor.root, descriptor.idColumn) ? undefined : `${descriptor.root.path}.id: column ${descriptor.idColumn} is not of a plain type`;
}

/** Whether a table name of `node` (or its link table) is also one of its ancestors' (their aliases would clash in the nested subqueries). */
function repeatsTableOnItsPath(node: DescriptorNode): boolean {
  const names = new Set<string>();
  for (let current: DescriptorNode | undefined = node; current !== undefined; current = current.parent) {
    for (const table of [current.table.table, ...(current.join?.link === undefined ? [] : [current.join.link.table.table])]) {
      if (names.has(table)) return true;
      names.add(table);
    }
  }
  return false;
}

/** Whether a SET member needs no escaping in JSON (the query writes the list's JSON text itself). */
function isPlainMember(member: string): boolean {
  for (let index = 0; index < member.length; index += 1) {
    const code = member.charCodeAt(index);
    if (code < 0x20 || member[index] === '"' || member[index] === '\\' || member[index] === ',') return false;
  }
  return true;
}

/** Whether the query writes `column`'s values as documentValue does. */
function printsAlike(column: ColumnDefinition): boolean {
  if (column.baseType === 'set') return (column.enumValues ?? []).every(isPlainMember);
  return SIMPLE_TYPES.has(column.baseType);
}

function columnOf(columns: readonly ColumnDefinition[], name: string): ColumnDefinition | undefined {
  return columns.find((column) => column.name === name);
}

function isIntegerColumn(column: ColumnDefinition | undefined): boolean {
  return column !== undefined && (INTEGER_TYPES.has(column.baseType) || column.baseType === 'bigint');
}

function hasIntegerColumn(node: DescriptorNode, name: string): boolean {
  return isIntegerColumn(columnOf(node.table.columns, name));
}

function hasSimpleColumn(node: DescriptorNode, name: string): boolean {
  const column = columnOf(node.table.columns, name);
  return column !== undefined && SIMPLE_TYPES.has(column.baseType);
}

function compile(descriptor: DocumentDescriptor): JsonSelect {
  const root = descriptor.root;
  const query = nodeQuery(root);
  const id = query.keyColumn(descriptor.idColumn);
  const body = objectOf(root);
  const refs = referencesOf(root);
  const where = query.where === undefined ? '' : ` AND (${query.where})`;
  return {
    sql: `SELECT ${id}, JSON_COMPACT(${body.text}), JSON_COMPACT(${refs.text}) FROM ${query.from} WHERE ${id} IN (?)${where} ORDER BY ${query.orderBy}`,
    constants: [...body.params, ...refs.params],
  };
}

function aliasOf(node: DescriptorNode): string {
  return quoteIdentifier(node.table.table);
}

function linkAliasOf(node: DescriptorNode): string {
  return node.join?.link === undefined ? '' : quoteIdentifier(node.join.link.table.table);
}

/** A column's value as documentValue writes it (see document-values.ts), as a JSON_OBJECT argument. */
function valueOf(column: ColumnDefinition, qualifier: string): string {
  const value = `${qualifier}.${quoteIdentifier(column.name)}`;
  const text = `CAST(${value} AS CHAR)`;
  switch (column.baseType) {
    case 'bigint':
      return `JSON_EXTRACT(IF(${value} BETWEEN -${SAFE_INTEGER} AND ${SAFE_INTEGER}, ${text}, JSON_QUOTE(${text})), '$')`;
    case 'decimal':
    case 'date':
    case 'time':
      return text;
    case 'year':
      // MariaDB writes the year 0 as 0000 in JSON
      return `(${value} + 0)`;
    case 'set':
      return `IF(${value} = '', JSON_ARRAY(), JSON_EXTRACT(CONCAT('["', REPLACE(${value}, ',', '","'), '"]'), '$'))`;
    case 'datetime':
      return `REPLACE(${text}, ' ', 'T')`;
    case 'timestamp':
      return `IF(${text} LIKE '0000%', ${text}, CONCAT(REPLACE(${text}, ' ', 'T'), 'Z'))`;
    default:
      return value;
  }
}

function joinFragments(fragments: readonly Fragment[], separator: string): Fragment {
  return { text: fragments.map((fragment) => fragment.text).join(separator), params: fragments.flatMap((fragment) => fragment.params) };
}

/** The JSON object of one row of `node` (its fields, then its relations), the node's alias in scope. */
function objectOf(node: DescriptorNode): Fragment {
  const parts: Fragment[] = node.fields.map((field) => ({ text: `?, ${valueOf(field.column, field.fromLink === true ? linkAliasOf(node) : aliasOf(node))}`, params: [field.name] }));
  for (const child of node.children) {
    if (child.property === undefined) continue;
    const element = child.scalar === undefined ? objectOf(child) : { text: valueOf(child.scalar, aliasOf(child)), params: [] };
    const list = rowsOf(child, element);
    const value = child.join?.type === 'manyToOne' ? { text: `JSON_EXTRACT(COALESCE(${list.text}, '[null]'), '$[0]')`, params: list.params } : { text: `COALESCE(${list.text}, JSON_ARRAY())`, params: list.params };
    parts.push({ text: `?, ${value.text}`, params: [child.property, ...value.params] });
  }
  const inner = joinFragments(parts, ', ');
  return { text: `JSON_OBJECT(${inner.text})`, params: inner.params };
}

/** The nested references of one row of `node`'s embedded rows (see {@link flattenReferences}), the node's alias in scope. */
function referencesOf(node: DescriptorNode): Fragment {
  const parts: Fragment[] = [];
  for (const child of node.children) {
    if (child.property === undefined) continue;
    const key = `CAST(${aliasOf(child)}.${quoteIdentifier(child.table.primaryKey[0] ?? '')} AS CHAR)`;
    const own: Fragment = { text: `CONCAT(?, ${key})`, params: [`${child.table.db}.${child.table.table}:`] };
    const element = child.scalar === undefined ? joinFragments([own, referencesOf(child)], ', ') : own;
    const list = rowsOf(child, { text: `JSON_ARRAY(${element.text})`, params: element.params });
    parts.push({ text: `COALESCE(${list.text}, JSON_ARRAY())`, params: list.params });
  }
  const inner = joinFragments(parts, ', ');
  return { text: `JSON_ARRAY(${inner.text})`, params: inner.params };
}

/** `element` over the rows `child` embeds for the parent row in scope, as a JSON array in the child's order (NULL when none). */
function rowsOf(child: DescriptorNode, element: Fragment): Fragment {
  const relation = child.join;
  const parent = child.parent;
  if (relation === undefined || parent === undefined) throw new Error(`${child.path} has no parent to join`);
  // the same table expression, key column and order as the sink's build (nodeQuery), the key matched on the parent row in scope
  const query = nodeQuery(child);
  const key = query.keyColumn(relation.link === undefined ? relation.childColumn : relation.link.parentColumn);
  const where = query.where === undefined ? '' : ` AND (${query.where})`;
  const limit = child.limit === undefined ? '' : ` LIMIT ${child.limit}`;
  return {
    text: `(SELECT JSON_ARRAYAGG(${element.text} ORDER BY ${query.orderBy}${limit}) FROM ${query.from} WHERE ${key} = ${aliasOf(parent)}.${quoteIdentifier(relation.parentColumn)}${where})`,
    params: element.params,
  };
}
