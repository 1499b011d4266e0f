import { hash } from 'node:crypto';
import type { Connection, FieldPacket } from 'mysql2/promise';
import type { DocumentBuilder } from '../config/document-definition.js';
import type { ColumnValue, Row } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import { normalizeValue } from '../model/value-normalizer.js';
import type { DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
import { writeDocumentJson, type Embedded } from './document-json.js';
import { JsonByteWriter } from './json-byte-writer.js';
import { beginVersionedSnapshot, type SnapshotVersioning } from './snapshot-version.js';
import { flattenReferences, jsonSelectOf, withJavaScriptEscapes, type JsonSelect } from './json-select.js';
import { linkFields, nodeQuery, rowPositions, selectedColumns, type NodeQuery } from './node-query.js';
import { chunks, MAX_IN_LIST } from './sql.js';

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
 * A built document: its id and its `_source`, `_sluice` included, as JSON (and as an object,
 * parsed from the JSON on first use).
 */
export interface BuiltDocument {
  readonly id: string;
  /** `_sluice.hash`, at hand without `source` (which parses the JSON). */
  readonly hash: string;
  readonly source: Record<string, unknown> & { readonly _sluice: DocumentMetadata };
  /** The document as JSON.stringify writes it (the hash is taken over the content's part of the same text). */
  readonly json: string;
  /** `json` as UTF-8 bytes, as the build wrote it and a writer sends it (`json` is decoded from it when asked for). */
  readonly body: Buffer;
  /** The UTF-8 size of `json` (the length of `body`). */
  readonly jsonBytes: number;
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

/** MySQL's type code of BIGINT results (mysql2 FieldPacket.columnType). */
const LONGLONG = 8;

/**
 * Builds the documents of `ids` (root id values as strings) in one consistent snapshot, never
 * one query per document: with `builder` `database` (by default the descriptor's `buildIn`) and
 * a MariaDB 10.5+ server, the database makes each document's JSON (one query for every 1,000
 * keys, see json-select.ts); otherwise one query per node of the descriptor for every 1,000 keys,
 * its JSON written here straight from the rows (document-json.ts). Lists come in their `orderBy`
 * order and then by primary key, so a document's content and hash are deterministic, and both
 * ways make the same text.
 * `versioning` (the sink's VersionClock) turns the snapshot's coordinate into a version that
 * survives a binlog reset.
 */
export async function buildDocuments(connection: Connection, descriptor: DocumentDescriptor, ids: readonly string[], versioning?: SnapshotVersioning, builder: DocumentBuilder = descriptor.buildIn): Promise<BuiltDocuments> {
  const { version } = await beginVersionedSnapshot(connection, versioning);
  try {
    const requested = new Set(ids);
    const unique = [...requested];
    const select = builder === 'database' ? jsonSelectOf(descriptor) : undefined;
    const documents = (select !== undefined && (await buildsJson(connection)) ? await buildInDatabase(connection, descriptor, select, unique) : undefined) ?? (await buildInJavaScript(connection, descriptor, unique));
    // documents have distinct ids: as many as requested, each a requested one, and none is missing (no second set made)
    if (documents.length === unique.length && documents.every((document) => requested.has(document.id))) return { version, documents, missing: [] };
    const found = new Set(documents.map((document) => document.id));
    return { version, documents, missing: unique.filter((id) => !found.has(id)) };
  } finally {
    await connection.query('COMMIT');
  }
}

/** The documents of `ids` from their rows: one query per node, their JSON written from the rows with no object made per document. */
async function buildInJavaScript(connection: Connection, descriptor: DocumentDescriptor, ids: readonly string[]): Promise<BuiltDocument[]> {
  const rootRows = await selectEmbedded(connection, descriptor.root, descriptor.idColumn, ids);
  const idAt = rowPositions(descriptor.root).columns.get(descriptor.idColumn) ?? Number.NaN;
  const groups = new Map<DescriptorNode, Map<string, Embedded[]>>();
  await loadChildren(connection, descriptor.root, rootRows, groups);
  const found = new Set<string>();
  const documents: BuiltDocument[] = [];
  const writer = new JsonByteWriter();
  for (const entry of rootRows) {
    const id = String(entry.values[idAt]);
    if (found.has(id)) continue;
    found.add(id);
    const refs: string[] = [];
    writer.truncate(0);
    writeDocumentJson(writer, descriptor.root, entry, groups, refs);
    documents.push(finishDocument(writer, id, distinct(refs)));
  }
  return documents;
}

/** The document whose content `writer` holds (one object, alone in it): `_sluice` added, then its bytes copied (small ones share a pooled buffer), no text made. */
function finishDocument(writer: JsonByteWriter, id: string, refs: readonly string[]): BuiltDocument {
  const contentHash = writeMetadata(writer, id, refs);
  return new ByteDocument(id, contentHash, Buffer.from(writer.view()));
}

const METADATA_START = Buffer.from(`"${METADATA_PROPERTY}":{"id":`);
const HASH_START = Buffer.from(',"hash":');
const REFS_START = Buffer.from(',"refs":[');
const COMMA = Buffer.from(',');
const METADATA_END = Buffer.from(']}}');

/**
 * Ends the document content `writer` holds (one object, alone in it) with `_sluice` as its last
 * property: the same bytes JSON.stringify would write for the content with `_sluice` ({ id,
 * hash, refs }) assigned last. Returns the content's hash (taken before `_sluice` is added).
 */
function writeMetadata(writer: JsonByteWriter, id: string, refs: readonly string[]): string {
  const contentHash = hash('sha256', writer.view(), 'hex').slice(0, 32);
  // `{}`: the object's brace stays; otherwise a comma replaces the closing brace
  if (writer.length === 2) writer.truncate(1);
  else {
    writer.truncate(writer.length - 1);
    writer.bytes(COMMA);
  }
  writer.bytes(METADATA_START);
  writer.string(id);
  writer.bytes(HASH_START);
  writer.string(contentHash);
  writer.bytes(REFS_START);
  for (let index = 0; index < refs.length; index += 1) {
    if (index > 0) writer.bytes(COMMA);
    writer.string(refs[index]);
  }
  writer.bytes(METADATA_END);
  return contentHash;
}

/**
 * The documents of `ids` made as JSON by the database (see json-select.ts): no row is parsed and
 * `source` is parsed from the JSON only when asked for. Undefined when a document came back NULL
 * (larger than the server's max_allowed_packet): the caller builds the batch in JavaScript.
 */
async function buildInDatabase(connection: Connection, descriptor: DocumentDescriptor, select: JsonSelect, ids: readonly string[]): Promise<BuiltDocument[] | undefined> {
  const idColumn = descriptor.root.table.columns.find((column) => column.name === descriptor.idColumn);
  if (idColumn === undefined) return undefined;
  const found = new Set<string>();
  const documents: BuiltDocument[] = [];
  const writer = new JsonByteWriter();
  for (const chunk of chunks(ids, MAX_IN_LIST)) {
    const [rows] = await connection.query({ sql: select.sql, values: [...select.constants, chunk], rowsAsArray: true });
    for (const [rawId, body, references] of rows as Array<[unknown, string | null, string | null]>) {
      if (body === null || references === null) return undefined;
      const id = String(normalizeValue(idColumn, rawId));
      if (found.has(id)) continue;
      found.add(id);
      writer.truncate(0);
      writer.raw(withJavaScriptEscapes(body));
      documents.push(finishDocument(writer, id, distinct(flattenReferences(JSON.parse(references)))));
    }
  }
  return documents;
}

/** A document as the UTF-8 bytes of its JSON: `json` is decoded from them when asked for (not kept), `source` parsed on first use. */
class ByteDocument implements BuiltDocument {
  private parsed: BuiltDocument['source'] | undefined;

  constructor(
    readonly id: string,
    readonly hash: string,
    readonly body: Buffer,
  ) {}

  get jsonBytes(): number {
    return this.body.length;
  }

  get json(): string {
    return this.body.toString('utf8');
  }

  get source(): BuiltDocument['source'] {
    this.parsed ??= JSON.parse(this.json) as BuiltDocument['source'];
    return this.parsed;
  }
}

/** MariaDB 10.5 or later (JSON_ARRAYAGG with ORDER BY and LIMIT), per connection, its sessions' JSON_ARRAYAGG unbounded: asked once. */
const jsonCapable = new WeakMap<object, Promise<boolean>>();

/** Whether `connection` can run a {@link JsonSelect} (see {@link jsonCapable}). */
function buildsJson(connection: Connection): Promise<boolean> {
  const key: object = (connection as Connection & { connection?: object }).connection ?? connection;
  let capable = jsonCapable.get(key);
  if (capable === undefined) {
    capable = (async () => {
      const [rows] = await connection.query({ sql: 'SELECT VERSION()', rowsAsArray: true });
      const [[version]] = rows as [[string]];
      const match = /^(\d+)\.(\d+)/.exec(version);
      if (!version.includes('MariaDB') || match === null || Number(match[1]) * 1000 + Number(match[2]) < 10_005) return false;
      // JSON_ARRAYAGG is cut at group_concat_max_len (1 MiB by default): a long list would be cut short
      await connection.query('SET SESSION group_concat_max_len = 4294967295');
      return true;
    })();
    // a failed question is asked again next time
    capable.catch(() => jsonCapable.delete(key));
    jsonCapable.set(key, capable);
  }
  return capable;
}

/** `values` without repeats, first occurrences in order; `values` itself when it has none (a document's few references, compared pairwise: no Set made). */
function distinct(values: string[]): string[] {
  if (values.length > 32) return [...new Set(values)];
  for (let index = 1; index < values.length; index += 1) {
    if (values.lastIndexOf(values[index], index - 1) !== -1) return [...new Set(values)];
  }
  return values;
}

/** `db.table:key` of a row (composite keys as a JSON array). */
export function rowReference(node: DescriptorNode, row: Row): string {
  return referenceText(node, node.table.primaryKey.map((column) => row[column]));
}

/** `db.table:`, the start of every reference to a row of `node`. */
function referencePrefixOf(node: DescriptorNode): string {
  return `${node.table.db}.${node.table.table}:`;
}

/** `db.table:` and a key: its one value as text, or a composite key's values as a JSON array. */
function referenceText(node: DescriptorNode, keyValues: readonly unknown[]): string {
  return `${referencePrefixOf(node)}${keyValues.length === 1 ? String(keyValues[0]) : JSON.stringify(keyValues)}`;
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
  /** The primary key's columns' positions in the node's values. */
  readonly keyAt: readonly number[];
  /** The node's {@link referencePrefixOf}, made once. */
  readonly referencePrefix: string;
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
    const positions = rowPositions(node).columns;
    const keyAt = node.table.primaryKey.map((column) => positions.get(column) ?? Number.NaN);
    plan = {
      query: nodeQuery(node),
      columns,
      columnsAt,
      linkColumns,
      linkAt: columnsAt + columns.length,
      computedAt: columnsAt + columns.length + linkColumns.length,
      keyAt,
      referencePrefix: referencePrefixOf(node),
    };
    plans.set(node, plan);
  }
  return plan;
}

const NO_COMPUTED: readonly unknown[] = Object.freeze([]);

/**
 * The rows of `node` whose `column` (of the node's table, or of the link table for a many-to-many
 * node: its column referring to the parent) has one of `values`, with the parent's value of each.
 * Rows come back as arrays (no per-row object from the driver) and are kept as arrays of
 * normalized values, in the positions of node-query.ts's rowPositions (the driver's own array when
 * the node's columns come first in it; values past them are not read).
 */
async function selectEmbedded(connection: Connection, node: DescriptorNode, column: string, values: readonly unknown[]): Promise<Embedded[]> {
  const { query, columns, columnsAt, linkColumns, linkAt, computedAt, keyAt, referencePrefix } = planOf(node);
  const parentAt = rowPositions(node).columns.get(column) ?? Number.NaN;
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
      // the node's columns first in the result row (no link column before them): normalized in place, no second array
      const row = columnsAt === 0 ? (raw as ColumnValue[]) : new Array<ColumnValue>(columns.length);
      for (let index = 0; index < columns.length; index += 1) row[index] = normalizeValue(columns[index], raw[columnsAt + index]);
      let computed = NO_COMPUTED;
      if (node.computed.length > 0) computed = node.computed.map((_, index) => computedValue(raw[computedAt + index], packets?.[computedAt + index]));
      let linkRow: ColumnValue[] | undefined;
      if (linkColumns.length > 0) {
        linkRow = new Array<ColumnValue>(linkColumns.length);
        for (let index = 0; index < linkColumns.length; index += 1) linkRow[index] = normalizeValue(linkColumns[index], raw[linkAt + index]);
      }
      const parent = linked ? raw[0] : row[parentAt];
      // a one-column key (most tables) makes its reference with no array of key values
      const ref = keyAt.length === 1 ? referencePrefix + String(row[keyAt[0]]) : referenceText(node, keyAt.map((position) => row[position]));
      result.push({ values: row, link: linkRow, computed, ref, parent: String(parent) });
    }
  }
  return result;
}

/** Loads the rows of every descendant of `node` for its rows `parents`, grouped by the parent's join value. */
async function loadChildren(connection: Connection, node: DescriptorNode, parents: readonly Embedded[], groups: Map<DescriptorNode, Map<string, Embedded[]>>): Promise<void> {
  const positions = rowPositions(node).columns;
  for (const child of node.children) {
    const join = child.join;
    if (join === undefined) continue;
    const parentAt = positions.get(join.parentColumn) ?? Number.NaN;
    const values = [...new Set(parents.map((parent) => parent.values[parentAt]).filter((value) => value !== null && value !== undefined))];
    const byParent = new Map<string, Embedded[]>();
    if (values.length > 0) {
      const keyColumn = join.link === undefined ? join.childColumn : join.link.parentColumn;
      for (const entry of await selectEmbedded(connection, child, keyColumn, values)) {
        const list = byParent.get(entry.parent);
        if (list === undefined) byParent.set(entry.parent, [entry]);
        else if (child.limit === undefined || list.length < child.limit) list.push(entry);
      }
    }
    groups.set(child, byParent);
    // a leaf (most relations) has nothing below it to load: no distinct list of its rows made
    if (child.children.length === 0) continue;
    const childRows = new Map<string, Embedded>();
    for (const list of byParent.values()) for (const entry of list) childRows.set(entry.ref, entry);
    await loadChildren(connection, child, [...childRows.values()], groups);
  }
}
