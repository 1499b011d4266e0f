import type { ColumnValue, Row } from '../model/change-event.js';
import type { Queryable } from './sql.js';
import type { TableInfo } from '../model/table.js';
import { rowReference } from './build-documents.js';
import type { DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
import { chunks, MAX_IN_LIST, qualifiedName, quoteIdentifier } from './sql.js';

/** The parts of a change event expansion looks at. */
export interface RowChange {
  readonly db: string;
  readonly table: string;
  readonly op: 'r' | 'c' | 'u' | 'd';
  readonly before: Row | null;
  readonly after: Row | null;
}

/** Where expansion reads the current database state, and how much at once. */
export interface ExpansionContext {
  /** Runs lookups; values must come back as the read connection gives them (strings for BIGINT). */
  readonly queries: Queryable;
  /** Ids (or intermediate keys) per page: memory stays bounded by this whatever the fan-out. */
  readonly pageSize: number;
}

/**
 * The root ids whose documents a change may alter, as pages of at most `pageSize` ids (ids as
 * strings); see {@link rootIdsOfChanges}.
 */
export function rootIdsOfChange(descriptor: DocumentDescriptor, change: RowChange, expansion: ExpansionContext): AsyncGenerator<string[]> {
  return rootIdsOfChanges(descriptor, [change], expansion);
}

/**
 * The root ids whose documents a batch of changes may alter, as pages of at most `pageSize` ids
 * (ids as strings; an id may repeat across pages). Both row images count: a foreign key moved
 * from A to B yields the roots of A and of B; link-row inserts and deletes yield their parent's
 * roots; an update that touches no column the document uses yields nothing (a node with a `where`
 * condition or computed fields uses them all). The keys of all the
 * changes to one table are looked up together (IN lists of up to 1,000 keys, one walk up the
 * relations per table, not per change), against the current database state, paged by key, so a
 * row shared by 100,000 roots streams through bounded memory. Roots that embedded a row that has
 * since vanished without a trace in the current tables (cascades) are found with
 * {@link referencesToLookUp} instead.
 */
export async function* rootIdsOfChanges(descriptor: DocumentDescriptor, changes: readonly RowChange[], expansion: ExpansionContext): AsyncGenerator<string[]> {
  const context: Walk = { ...expansion, idColumn: descriptor.idColumn };
  for (const node of descriptor.nodes) {
    const join = node.join;
    const nodeColumn = join === undefined ? descriptor.idColumn : join.childColumn;
    const nodeValues = new DistinctValues();
    const linkValues = new DistinctValues();
    const link = join?.link;
    for (const change of changes) {
      // A node with a where condition or computed fields depends on columns sluice cannot name: every
      // change to its table counts, and both images are followed up, so a row moving into or out
      // of the condition rebuilds the roots it left and the roots it joined.
      if (sameTable(node.table, change) && (node.opaque || touches(change, node.usedColumns))) nodeValues.addImages(change, nodeColumn);
      if (link !== undefined && sameTable(link.table, change) && (node.opaque || touches(change, link.usedColumns))) linkValues.addImages(change, link.parentColumn);
    }
    if (nodeValues.size > 0) {
      if (join === undefined) yield* pages(nodeValues.values().map(String), context.pageSize);
      else yield* upwardFromNode(node, nodeValues.values(), context);
    }
    if (linkValues.size > 0 && node.parent !== undefined && join !== undefined) yield* upward(node.parent, join.parentColumn, linkValues.values(), context);
  }
}

/** A set of column values (Buffers compared by content). */
class DistinctValues {
  private readonly byKey = new Map<string, ColumnValue>();

  get size(): number {
    return this.byKey.size;
  }

  /** Adds the non-null values of `column` in the before and after images of `change`. */
  addImages(change: RowChange, column: string): void {
    this.add(change.before?.[column]);
    this.add(change.after?.[column]);
  }

  private add(value: ColumnValue | undefined): void {
    if (value === null || value === undefined) return;
    this.byKey.set(Buffer.isBuffer(value) ? `b:${value.toString('hex')}` : `${typeof value}:${String(value)}`, value);
  }

  values(): ColumnValue[] {
    return [...this.byKey.values()];
  }
}

/**
 * The row references (`db.table:key`, as kept in `_sluice.refs`) to look up in the index for a
 * change: a deleted row, or the old key of a row whose key changed, of a non-root table. Foreign
 * keys with ON DELETE/UPDATE CASCADE or SET NULL change dependent rows without binlog events, so
 * the documents that embedded the row are found through what they remember.
 */
export function referencesToLookUp(descriptor: DocumentDescriptor, change: RowChange): string[] {
  if (change.before === null) return [];
  let references: Set<string> | undefined;
  for (const node of descriptor.nodes) {
    if (node.parent === undefined || !sameTable(node.table, change)) continue;
    const keyChanged = change.after !== null && node.table.primaryKey.some((column) => !sameValue(change.before?.[column], change.after?.[column]));
    if (change.op === 'd' || keyChanged) (references ??= new Set()).add(rowReference(node, change.before));
  }
  return references === undefined ? [] : [...references];
}

/**
 * The columns of each table (`db.table`) that {@link rootIdsOfChanges}, {@link referencesToLookUp}
 * and the sink's attribution of ids to changes read from the row images of `descriptors`' changes:
 * a node's used columns, primary key and join column, a link table's used columns and both its
 * join columns. A change whose images hold only these columns expands to the same roots and
 * references as the whole change (the sink decodes only these; see change-event-codec.ts).
 */
export function columnsReadByExpansion(descriptors: readonly DocumentDescriptor[]): Map<string, Set<string>> {
  const columns = new Map<string, Set<string>>();
  const add = (table: TableInfo, names: Iterable<string>): void => {
    const key = `${table.db}.${table.table}`;
    let set = columns.get(key);
    if (set === undefined) columns.set(key, (set = new Set()));
    for (const name of names) set.add(name);
  };
  for (const descriptor of descriptors) {
    for (const node of descriptor.nodes) {
      const join = node.join;
      add(node.table, [...node.usedColumns, ...node.table.primaryKey, join === undefined ? descriptor.idColumn : join.childColumn]);
      if (join?.link !== undefined) add(join.link.table, [...join.link.usedColumns, join.link.parentColumn, join.link.childColumn]);
    }
  }
  return columns;
}

/** Whether `change` is to a table the descriptor reads (a node or a link table). */
export function concernsDescriptor(descriptor: DocumentDescriptor, change: RowChange): boolean {
  return descriptor.tables.has(`${change.db}.${change.table}`);
}

/** An expansion context with the document's id column, for the walk up to the root. */
interface Walk extends ExpansionContext {
  readonly idColumn: string;
}

function sameTable(table: TableInfo, change: RowChange): boolean {
  return table.db === change.db && table.table === change.table;
}

function sameValue(a: ColumnValue | undefined, b: ColumnValue | undefined): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** False for an update that changed none of `columns`. */
function touches(change: RowChange, columns: ReadonlySet<string>): boolean {
  if (change.op !== 'u' || change.before === null || change.after === null) return true;
  for (const column of columns) if (!sameValue(change.before[column], change.after[column])) return true;
  return false;
}

function* pages<T>(values: readonly T[], size: number): Generator<T[]> {
  for (const chunk of chunks(values, size)) if (chunk.length > 0) yield chunk;
}

/** Root ids for rows of `node` whose join column (`node.join.childColumn`) has one of `values`. */
async function* upwardFromNode(node: DescriptorNode, values: readonly unknown[], context: Walk): AsyncGenerator<string[]> {
  const join = node.join;
  const parent = node.parent;
  if (join === undefined || parent === undefined) throw new TypeError('upwardFromNode needs a non-root node');
  if (join.link === undefined) {
    yield* upward(parent, join.parentColumn, values, context);
    return;
  }
  for await (const parentValues of joinedValues(context, join.link.table, join.link.childColumn, join.link.parentColumn, values)) {
    yield* upward(parent, join.parentColumn, parentValues, context);
  }
}

/** Root ids for rows of `node` whose `column` has one of `values`. */
async function* upward(node: DescriptorNode, column: string, values: readonly unknown[], context: Walk): AsyncGenerator<string[]> {
  if (values.length === 0) return;
  if (node.join === undefined) {
    yield* rootIds(node, column, values, context);
    return;
  }
  const childColumn = node.join.childColumn;
  if (column === childColumn) {
    yield* upwardFromNode(node, values, context);
    return;
  }
  for await (const keys of joinedValues(context, node.table, column, childColumn, values)) yield* upwardFromNode(node, keys, context);
}

async function* rootIds(root: DescriptorNode, column: string, values: readonly unknown[], context: Walk): AsyncGenerator<string[]> {
  const idColumn = context.idColumn;
  if (column === idColumn) {
    yield* pages(values.map(String), context.pageSize);
    return;
  }
  for await (const ids of joinedValues(context, root.table, column, idColumn, values)) yield ids.map(String);
}

/**
 * The values of `output` in the rows of `table` whose `filter` column has one of `values`, in
 * pages: keyset pagination on (filter, output), IN lists of at most 1,000 values. A value may
 * repeat (within a page and across pages); the callers' ids are de-duplicated downstream.
 *
 * The query has no DISTINCT on purpose: with DISTINCT, MariaDB (10.11 measured) may answer the
 * keyset continuation `(f > ? OR (f = ? AND o > ?))` with a loose index scan ("Using index for
 * group-by") over the secondary index on `output`, and that plan returned no row at all where
 * hundreds matched (Sakila's film_actor, 151 actor ids: 1,001 of 4,112 links found). Every
 * root behind the later pages was then never rebuilt. Without DISTINCT no group-by plan exists;
 * a duplicate (filter, output) pair only repeats a value, and the keyset still moves forward.
 */
async function* joinedValues(context: Walk, table: TableInfo, filter: string, output: string, values: readonly unknown[]): AsyncGenerator<unknown[]> {
  if (filter === output) {
    yield* pages(values, context.pageSize);
    return;
  }
  const f = `t.${quoteIdentifier(filter)}`;
  const o = `t.${quoteIdentifier(output)}`;
  const base = `SELECT ${f} AS f, ${o} AS o FROM ${qualifiedName(table)} t WHERE ${f} IN (?) AND ${o} IS NOT NULL`;
  for (const chunk of chunks(values, MAX_IN_LIST)) {
    let after: { f: unknown; o: unknown } | undefined;
    for (;;) {
      const [result] = await context.queries.query({
        sql: `${base}${after === undefined ? '' : ` AND (${f} > ? OR (${f} = ? AND ${o} > ?))`} ORDER BY ${f}, ${o} LIMIT ${context.pageSize}`,
        values: after === undefined ? [chunk] : [chunk, after.f, after.f, after.o],
      });
      const rows = result as Array<{ f: unknown; o: unknown }>;
      if (rows.length > 0) yield rows.map((row) => row.o);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < context.pageSize) break;
      after = last;
    }
  }
}
