import { createHash } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import type { Row } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import { normalizeRow } from '../model/value-normalizer.js';
import type { DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
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

/** A built document: its id and its `_source`, `_sluice` included, as an object and as JSON. */
export interface BuiltDocument {
  readonly id: string;
  readonly source: Record<string, unknown> & { readonly _sluice: DocumentMetadata };
  /** JSON.stringify(source), made once (the hash is taken over the same text). */
  readonly json: string;
}

/** The property sluice keeps its bookkeeping in; no field or relation may be called so. */
export const METADATA_PROPERTY = '_sluice';

/** The documents of one page of root ids, all read in one consistent snapshot. */
export interface BuiltPage {
  /** The snapshot's version (see snapshot-version.ts): every document and delete of the page carries it. */
  readonly version: number;
  readonly documents: readonly BuiltDocument[];
  /** Requested ids whose root row does not exist (any more): their documents are deleted. */
  readonly missing: readonly string[];
}

const PARENT_ALIAS = '__sluice_parent';

/**
 * Builds the documents of `ids` (root id values as strings) in one consistent snapshot: one query
 * per node of the descriptor for every 1,000 keys (never one per document), children ordered by
 * their primary key, so a document's content and hash are deterministic. `versioning` (the sink's
 * VersionClock) turns the snapshot's coordinate into a version that survives a binlog reset.
 */
export async function buildDocuments(connection: Connection, descriptor: DocumentDescriptor, ids: readonly string[], versioning?: SnapshotVersioning): Promise<BuiltPage> {
  const { version } = await beginVersionedSnapshot(connection, versioning);
  try {
    const unique = [...new Set(ids)];
    const rootRows = await selectRows(connection, descriptor.root, descriptor.idColumn, unique);
    const groups = new Map<DescriptorNode, Map<string, Row[]>>();
    await loadChildren(connection, descriptor.root, rootRows, groups);
    const found = new Set<string>();
    const documents: BuiltDocument[] = [];
    for (const row of rootRows) {
      const id = String(row[descriptor.idColumn]);
      if (found.has(id)) continue;
      found.add(id);
      const refs: string[] = [];
      const body = assemble(descriptor.root, row, groups, refs);
      const bodyJson = JSON.stringify(body);
      const metadata: DocumentMetadata = { id, hash: createHash('sha256').update(bodyJson).digest('hex').slice(0, 32), refs: [...new Set(refs)] };
      const metadataJson = `"${METADATA_PROPERTY}":${JSON.stringify(metadata)}`;
      const json = bodyJson === '{}' ? `{${metadataJson}}` : `${bodyJson.slice(0, -1)},${metadataJson}}`;
      body[METADATA_PROPERTY] = metadata;
      documents.push({ id, source: body as BuiltDocument['source'], json });
    }
    return { version, documents, missing: unique.filter((id) => !found.has(id)) };
  } finally {
    await connection.query('COMMIT');
  }
}

/** `db.table:key` of a row (composite keys as a JSON array). */
export function rowReference(node: DescriptorNode, row: Row): string {
  const key = node.table.primaryKey.map((column) => row[column]);
  return `${node.table.db}.${node.table.table}:${key.length === 1 ? String(key[0]) : JSON.stringify(key)}`;
}

function selectedColumns(node: DescriptorNode): ColumnDefinition[] {
  return node.table.columns.filter((column) => node.usedColumns.has(column.name));
}

function orderBy(node: DescriptorNode, alias: string): string {
  return node.table.primaryKey.map((column) => `${alias}.${quoteIdentifier(column)}`).join(', ');
}

async function selectRows(connection: Connection, node: DescriptorNode, column: string, values: readonly unknown[]): Promise<Row[]> {
  const columns = selectedColumns(node);
  const list = columns.map((definition) => `t.${quoteIdentifier(definition.name)}`).join(', ');
  const rows: Row[] = [];
  for (const chunk of chunks(values, MAX_IN_LIST)) {
    const [result] = await connection.query({
      sql: `SELECT ${list} FROM ${qualifiedName(node.table)} t WHERE t.${quoteIdentifier(column)} IN (?) ORDER BY ${orderBy(node, 't')}`,
      values: [chunk],
    });
    for (const raw of result as Array<Record<string, unknown>>) rows.push(normalizeRow(columns, raw));
  }
  return rows;
}

async function selectLinkedRows(connection: Connection, node: DescriptorNode, values: readonly unknown[]): Promise<Array<{ parent: string; row: Row }>> {
  const link = node.join?.link;
  if (link === undefined || node.join === undefined) throw new TypeError('selectLinkedRows needs a many-to-many node');
  const columns = selectedColumns(node);
  const list = columns.map((definition) => `c.${quoteIdentifier(definition.name)}`).join(', ');
  const result: Array<{ parent: string; row: Row }> = [];
  for (const chunk of chunks(values, MAX_IN_LIST)) {
    const [rows] = await connection.query({
      sql:
        `SELECT l.${quoteIdentifier(link.parentColumn)} AS ${PARENT_ALIAS}, ${list} FROM ${qualifiedName(link.table)} l ` +
        `JOIN ${qualifiedName(node.table)} c ON c.${quoteIdentifier(node.join.childColumn)} = l.${quoteIdentifier(link.childColumn)} ` +
        `WHERE l.${quoteIdentifier(link.parentColumn)} IN (?) ORDER BY ${orderBy(node, 'c')}`,
      values: [chunk],
    });
    for (const raw of rows as Array<Record<string, unknown>>) result.push({ parent: String(raw[PARENT_ALIAS]), row: normalizeRow(columns, raw) });
  }
  return result;
}

/** Loads the rows of every descendant of `node` for `parentRows`, grouped by the parent's join value. */
async function loadChildren(connection: Connection, node: DescriptorNode, parentRows: readonly Row[], groups: Map<DescriptorNode, Map<string, Row[]>>): Promise<void> {
  for (const child of node.children) {
    const join = child.join;
    if (join === undefined) continue;
    const values = [...new Set(parentRows.map((row) => row[join.parentColumn]).filter((value) => value !== null && value !== undefined))];
    const byParent = new Map<string, Row[]>();
    const childRows = new Map<string, Row>();
    const add = (parent: string, row: Row): void => {
      const list = byParent.get(parent);
      if (list === undefined) byParent.set(parent, [row]);
      else list.push(row);
      childRows.set(rowReference(child, row), row);
    };
    if (values.length > 0) {
      if (join.link === undefined) {
        for (const row of await selectRows(connection, child, join.childColumn, values)) add(String(row[join.childColumn]), row);
      } else {
        for (const { parent, row } of await selectLinkedRows(connection, child, values)) add(parent, row);
      }
    }
    groups.set(child, byParent);
    await loadChildren(connection, child, [...childRows.values()], groups);
  }
}

function assemble(node: DescriptorNode, row: Row, groups: ReadonlyMap<DescriptorNode, ReadonlyMap<string, Row[]>>, refs: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of node.fields) body[field.name] = documentValue(field.column, row[field.column.name] ?? null);
  for (const child of node.children) {
    const join = child.join;
    if (join === undefined || child.property === undefined) continue;
    const parentValue = row[join.parentColumn];
    const rows = parentValue === null || parentValue === undefined ? [] : (groups.get(child)?.get(String(parentValue)) ?? []);
    const values = rows.map((childRow) => {
      refs.push(rowReference(child, childRow));
      return child.scalar === undefined ? assemble(child, childRow, groups, refs) : documentValue(child.scalar, childRow[child.scalar.name] ?? null);
    });
    body[child.property] = join.type === 'manyToOne' ? (values[0] ?? null) : values;
  }
  return body;
}
