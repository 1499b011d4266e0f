import { hash } from 'node:crypto';
import type { Connection, FieldPacket } from 'mysql2/promise';
import type { Row } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import { normalizeValue } from '../model/value-normalizer.js';
import type { DescriptorField, DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
import { documentValue } from './document-values.js';
import { beginVersionedSnapshot, type SnapshotVersioning } from './snapshot-version.js';
import { chunks, MAX_IN_LIST, qualifiedName, quoteIdentifier } from './sql.js';

/** sluice's bookkeeping inside every document, under `_sluice`. */
export interface DocumentMetadata {
  /** The document id (sortable: Elasticsearch does not sort on `_id`). */
  readonly id: string;
  /** SHA-256 (hex, 128 bits) of the document's content without `_sluice`. */
  readonly hash: string;
  /** `db.table:key` of every embedded row: which rows this document was built from. */
  readonly refs: readonly string[];
}

/**
 * A built document: its id, its `_source` as JSON (`_sluice` last) and its content hash. The
 * object form, `source`, is parsed from the JSON on first use: writers need the text only.
 */
export interface BuiltDocument {
  readonly id: string;
  /** The `_source`, `_sluice` included: JSON.parse(json), made on first read and kept. */
  readonly source: Record<string, unknown> & { readonly _sluice: DocumentMetadata };
  /** The `_source` as JSON text, made once (the hash is taken over the same text without `_sluice`). */
  readonly json: string;
  /** `_sluice.hash`. */
  readonly hash: string;
}

/** The property sluice keeps its bookkeeping in; no field or relation may be called so. */
export const METADATA_PROPERTY = '_sluice';

/** The documents of a set of root ids (a build batch, or a root-id page of a full sync), all read in one consistent snapshot. */
export interface BuiltDocuments {
  /** The snapshot's document version (see snapshot-version.ts): every document and delete of the set carries it. */
  readonly version: number;
  readonly documents: readonly BuiltDocument[];
  /** Requested ids whose root row does not exist (any more): their documents are deleted. */
  readonly missing: readonly string[];
}

const PARENT_ALIAS = '__sluice_parent';
const LINK_PREFIX = '__sluice_link_';
const COMPUTED_PREFIX = '__sluice_computed_';
/** MySQL's type code of BIGINT results (mysql2 FieldPacket.columnType). */
const LONGLONG = 8;

/** A row of a node as one parent embeds it: its link row (many-to-many) and computed values. */
interface Embedded {
  readonly row: Row;
  readonly link?: Row | undefined;
  readonly computed: Readonly<Record<string, unknown>>;
  /** The row's {@link rowReference}, made once. */
  readonly ref: string;
  /** The parent's join value the row was selected by, as a string. */
  readonly parent: string;
  /** The row's JSON as its parents embed it, made on first use (see {@link embeddedJson}). */
  fragment?: Fragment;
}

/** The JSON of an embedded row (its own embedded rows included) and the references of those rows, in document order. */
interface Fragment {
  readonly json: string;
  readonly refs: readonly string[];
}

/**
 * Builds the documents of `ids` (root id values as strings) in one consistent snapshot: one query
 * per node of the descriptor for every 1,000 keys (never one per document), lists in their
 * `orderBy` order and then by primary key, so a document's content and hash are deterministic.
 * `versioning` (the sink's VersionClock) turns the snapshot's coordinate into a version that
 * survives a binlog reset.
 */
export async function buildDocuments(connection: Connection, descriptor: DocumentDescriptor, ids: readonly string[], versioning?: SnapshotVersioning): Promise<BuiltDocuments> {
  const { version } = await beginVersionedSnapshot(connection, versioning);
  try {
    const unique = [...new Set(ids)];
    const rootRows = await selectEmbedded(connection, descriptor.root, descriptor.idColumn, unique);
    const groups = new Map<DescriptorNode, Map<string, Embedded[]>>();
    await loadChildren(connection, descriptor.root, rootRows.map((entry) => entry.row), groups);
    const found = new Set<string>();
    const documents: BuiltDocument[] = [];
    for (const entry of rootRows) {
      const id = String(entry.row[descriptor.idColumn]);
      if (found.has(id)) continue;
      found.add(id);
      const body = embeddedJson(descriptor.root, entry, groups);
      const metadata: DocumentMetadata = { id, hash: hash('sha256', body.json, 'hex').slice(0, 32), refs: [...new Set(body.refs)] };
      const metadataJson = `"${METADATA_PROPERTY}":${JSON.stringify(metadata)}`;
      const json = body.json === '{}' ? `{${metadataJson}}` : `${body.json.slice(0, -1)},${metadataJson}}`;
      documents.push(new ParsedOnRead(id, json, metadata.hash));
    }
    return { version, documents, missing: unique.filter((id) => !found.has(id)) };
  } finally {
    await connection.query('COMMIT');
  }
}

/** `db.table:key` of a row (composite keys as a JSON array). */
export function rowReference(node: DescriptorNode, row: Row): string {
  const { primaryKey } = node.table;
  if (primaryKey.length === 1) return `${node.table.db}.${node.table.table}:${String(row[primaryKey[0]])}`;
  return `${node.table.db}.${node.table.table}:${JSON.stringify(primaryKey.map((column) => row[column]))}`;
}

/**
 * The SQL text of a node's query: its table and link table are aliased by their own names (so a
 * `where` condition or a computed expression may qualify columns as the pipeline file's author
 * knows them), its columns, link fields and computed expressions, and its ORDER BY.
 */
export interface NodeQuery {
  /** `SELECT ...` without the filter on the parent's keys. */
  readonly select: string;
  /** The table expression (`FROM ...` with the link join). */
  readonly from: string;
  /** The column the parent's keys are matched on, qualified. */
  readonly keyColumn: (column: string) => string;
  readonly where: string | undefined;
  readonly orderBy: string;
}

/** The query of `node` (see {@link NodeQuery}). */
export function nodeQuery(node: DescriptorNode): NodeQuery {
  const alias = quoteIdentifier(node.table.table);
  const link = node.join?.link;
  const linkAlias = link === undefined ? '' : quoteIdentifier(link.table.table);
  const parts = selectedColumns(node).map((definition) => `${alias}.${quoteIdentifier(definition.name)}`);
  if (link !== undefined && node.join !== undefined) {
    parts.unshift(`${linkAlias}.${quoteIdentifier(link.parentColumn)} AS ${PARENT_ALIAS}`);
    linkFields(node).forEach((field, index) => parts.push(`${linkAlias}.${quoteIdentifier(field.column.name)} AS ${quoteIdentifier(`${LINK_PREFIX}${index}`)}`));
  }
  node.computed.forEach((field, index) => parts.push(`(${field.expression}) AS ${quoteIdentifier(`${COMPUTED_PREFIX}${index}`)}`));
  const from =
    link === undefined || node.join === undefined
      ? `${qualifiedName(node.table)} AS ${alias}`
      : `${qualifiedName(link.table)} AS ${linkAlias} JOIN ${qualifiedName(node.table)} AS ${alias} ON ${alias}.${quoteIdentifier(node.join.childColumn)} = ${linkAlias}.${quoteIdentifier(link.childColumn)}`;
  const orderBy = node.order.map((term) => `${term.fromLink ? linkAlias : alias}.${quoteIdentifier(term.column)}${term.descending ? ' DESC' : ''}`).join(', ');
  return {
    select: `SELECT ${parts.join(', ')}`,
    from,
    keyColumn: (column) => `${link === undefined ? alias : linkAlias}.${quoteIdentifier(column)}`,
    where: node.where,
    orderBy,
  };
}

function selectedColumns(node: DescriptorNode): ColumnDefinition[] {
  return node.table.columns.filter((column) => node.usedColumns.has(column.name));
}

function linkFields(node: DescriptorNode): DescriptorField[] {
  return node.fields.filter((field) => field.fromLink === true);
}

/** A computed value as documents hold it: BIGINT results as numbers while exact, text as text. */
function computedValue(value: unknown, field: FieldPacket | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string' && field?.columnType === LONGLONG) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  return value;
}

/** What a node's query returns, worked out once per node: the SQL and where each value sits in a result row. */
interface NodePlan {
  readonly query: NodeQuery;
  /** The node's columns, at `columnsAt` onwards in a result row. */
  readonly columns: readonly ColumnDefinition[];
  readonly columnsAt: number;
  /** The link row's embedded columns, at `linkAt` onwards. */
  readonly linkColumns: readonly ColumnDefinition[];
  readonly linkAt: number;
  /** The computed values, at `computedAt` onwards. */
  readonly computedAt: number;
}

const plans = new WeakMap<DescriptorNode, NodePlan>();

/** The plan of `node` (see {@link NodePlan}), in the column order {@link nodeQuery} selects. */
function planOf(node: DescriptorNode): NodePlan {
  let plan = plans.get(node);
  if (plan === undefined) {
    const columns = selectedColumns(node);
    const linked = node.join?.link !== undefined;
    const linkColumns = linked ? linkFields(node).map((field) => field.column) : [];
    const columnsAt = linked ? 1 : 0;
    plan = { query: nodeQuery(node), columns, columnsAt, linkColumns, linkAt: columnsAt + columns.length, computedAt: columnsAt + columns.length + linkColumns.length };
    plans.set(node, plan);
  }
  return plan;
}

const NO_COMPUTED: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The rows of `node` whose `column` (of the node's table, or of the link table for a many-to-many
 * node: its column referring to the parent) has one of `values`, with the parent's value of each.
 * Rows come back as arrays (no per-row object from the driver) and are normalized by position.
 */
async function selectEmbedded(connection: Connection, node: DescriptorNode, column: string, values: readonly unknown[]): Promise<Embedded[]> {
  const { query, columns, columnsAt, linkColumns, linkAt, computedAt } = planOf(node);
  const linked = node.join?.link !== undefined;
  const result: Embedded[] = [];
  for (const chunk of chunks(values, MAX_IN_LIST)) {
    const [rows, fields] = await connection.query({
      sql: `${query.select} FROM ${query.from} WHERE ${query.keyColumn(column)} IN (?)${query.where === undefined ? '' : ` AND (${query.where})`} ORDER BY ${query.orderBy}`,
      values: [chunk],
      rowsAsArray: true,
    });
    const packets = fields as FieldPacket[] | undefined;
    for (const raw of rows as unknown[][]) {
      const row: Row = {};
      for (let index = 0; index < columns.length; index += 1) {
        const definition = columns[index];
        row[definition.name] = normalizeValue(definition, raw[columnsAt + index]);
      }
      let computed = NO_COMPUTED;
      if (node.computed.length > 0) {
        const values: Record<string, unknown> = {};
        node.computed.forEach((field, index) => (values[field.name] = computedValue(raw[computedAt + index], packets?.[computedAt + index])));
        computed = values;
      }
      let linkRow: Row | undefined;
      if (linkColumns.length > 0) {
        linkRow = {};
        for (let index = 0; index < linkColumns.length; index += 1) {
          const definition = linkColumns[index];
          linkRow[definition.name] = normalizeValue(definition, raw[linkAt + index]);
        }
      }
      const parent = linked ? raw[0] : row[column];
      result.push({ row, link: linkRow, computed, ref: rowReference(node, row), parent: String(parent) });
    }
  }
  return result;
}

/** Loads the rows of every descendant of `node` for `parentRows`, grouped by the parent's join value. */
async function loadChildren(connection: Connection, node: DescriptorNode, parentRows: readonly Row[], groups: Map<DescriptorNode, Map<string, Embedded[]>>): Promise<void> {
  for (const child of node.children) {
    const join = child.join;
    if (join === undefined) continue;
    const values = [...new Set(parentRows.map((row) => row[join.parentColumn]).filter((value) => value !== null && value !== undefined))];
    const byParent = new Map<string, Embedded[]>();
    if (values.length > 0) {
      const keyColumn = join.link === undefined ? join.childColumn : join.link.parentColumn;
      for (const entry of await selectEmbedded(connection, child, keyColumn, values)) {
        const list = byParent.get(entry.parent);
        if (list === undefined) byParent.set(entry.parent, [entry]);
        else if (child.limit === undefined || list.length < child.limit) list.push(entry);
      }
    }
    const childRows = new Map<string, Row>();
    for (const list of byParent.values()) for (const entry of list) childRows.set(entry.ref, entry.row);
    groups.set(child, byParent);
    await loadChildren(connection, child, [...childRows.values()], groups);
  }
}

/** A {@link BuiltDocument} whose `source` is parsed from its JSON when first read. */
class ParsedOnRead implements BuiltDocument {
  #source: BuiltDocument['source'] | undefined;

  constructor(
    readonly id: string,
    readonly json: string,
    readonly hash: string,
  ) {}

  get source(): BuiltDocument['source'] {
    this.#source ??= JSON.parse(this.json) as BuiltDocument['source'];
    return this.#source;
  }
}

/** One property of a node's JSON object: its `"name":` and how its value's JSON is made. */
interface PropertyWriter {
  readonly prefix: string;
  /** The value's JSON; undefined omits the property (as JSON.stringify omits undefined). Child references go to `refs`. */
  readonly write: (entry: Embedded, groups: BuildGroups, refs: string[]) => string | undefined;
}

type BuildGroups = ReadonlyMap<DescriptorNode, ReadonlyMap<string, Embedded[]>>;

const writers = new WeakMap<DescriptorNode, readonly PropertyWriter[]>();

/**
 * The property writers of `node`, in the order JSON.stringify gives the object the node's fields,
 * computed values and children would make when set in that order: a name set twice keeps its
 * first place and its last value, integer-like names come first, `__proto__` is not a property.
 */
function propertyWritersOf(node: DescriptorNode): readonly PropertyWriter[] {
  let known = writers.get(node);
  if (known !== undefined) return known;
  const byName = new Map<string, PropertyWriter['write']>();
  const order: Record<string, true> = {};
  const add = (name: string, write: PropertyWriter['write']): void => {
    order[name] = true;
    byName.set(name, write);
  };
  for (const field of node.fields) {
    const { column } = field;
    add(field.name, (entry) => valueJson(column, (field.fromLink === true ? entry.link : entry.row)?.[column.name] ?? null));
  }
  for (const field of node.computed) add(field.name, (entry) => JSON.stringify(entry.computed[field.name] ?? null));
  for (const child of node.children) {
    const join = child.join;
    const property = child.property;
    if (join === undefined || property === undefined) continue;
    const single = join.type === 'manyToOne';
    add(property, (entry, groups, refs) => {
      const parentValue = entry.row[join.parentColumn];
      const entries = parentValue === null || parentValue === undefined ? [] : (groups.get(child)?.get(String(parentValue)) ?? []);
      let json = '';
      // every row's references count, as in JSON.stringify's object (one row per parent is the rule for manyToOne)
      for (const childEntry of entries) {
        refs.push(childEntry.ref);
        let value: string;
        if (child.scalar === undefined) {
          const fragment = embeddedJson(child, childEntry, groups);
          for (const ref of fragment.refs) refs.push(ref);
          value = fragment.json;
        } else {
          value = valueJson(child.scalar, childEntry.row[child.scalar.name] ?? null) ?? 'null';
        }
        if (json === '') json = value;
        else if (!single) json = `${json},${value}`;
      }
      return single ? (json === '' ? 'null' : json) : `[${json}]`;
    });
  }
  known = Object.keys(order).map((name) => ({ prefix: `${JSON.stringify(name)}:`, write: byName.get(name) as PropertyWriter['write'] }));
  writers.set(node, known);
  return known;
}

/** A column value's JSON as documents hold it (see documentValue); undefined only where JSON.stringify gives undefined. */
function valueJson(column: ColumnDefinition, value: Row[string]): string | undefined {
  const document = documentValue(column, value);
  if (typeof document === 'number' && Number.isFinite(document)) return String(document);
  // typed string, but undefined for undefined (documentValue never gives it for a column's value)
  const json: string | undefined = JSON.stringify(document);
  return json;
}

/**
 * The JSON of `entry` as an object of `node` (the text JSON.stringify gives that object) and the
 * references of the rows it embeds, made once per entry: a row many parents embed (a shared
 * category) is written once per build.
 */
function embeddedJson(node: DescriptorNode, entry: Embedded, groups: BuildGroups): Fragment {
  if (entry.fragment !== undefined) return entry.fragment;
  const refs: string[] = [];
  let json = '';
  for (const property of propertyWritersOf(node)) {
    const value = property.write(entry, groups, refs);
    if (value === undefined) continue;
    json = json === '' ? `{${property.prefix}${value}` : `${json},${property.prefix}${value}`;
  }
  const fragment: Fragment = { json: json === '' ? '{}' : `${json}}`, refs };
  entry.fragment = fragment;
  return fragment;
}
