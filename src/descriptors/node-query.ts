import type { ColumnDefinition } from '../model/column.js';
import type { DescriptorField, DescriptorNode } from './document-descriptor.js';
import { qualifiedName, quoteIdentifier } from './sql.js';

const PARENT_ALIAS = '__sluice_parent';
const LINK_PREFIX = '__sluice_link_';
const COMPUTED_PREFIX = '__sluice_computed_';

/**
 * The SQL text of a node's query: its table and link table are aliased by their own names (so a
 * `where` condition or a computed expression may qualify columns as the pipeline file's author
 * knows them), its columns, link fields and computed expressions, and its ORDER BY.
 */
export interface NodeQuery {
  /** `SELECT ...` without the filter on the parent's keys. */
  readonly select: string;
  /**
   * The table expression (`FROM ...` with the link join). A link table is read first
   * (STRAIGHT_JOIN): the query filters on its parent column, and the optimizer, misled by a link
   * table's statistics (small right after a bulk load), would otherwise read the related table
   * first and every link row through its other key. No index is used for the ORDER BY (`USE
   * INDEX FOR ORDER BY ()`): the rows of a few hundred keys are sorted, where the optimizer,
   * avoiding that sort, read a whole table in its primary key's order.
   */
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
      ? `${qualifiedName(node.table)} AS ${alias} USE INDEX FOR ORDER BY ()`
      : `${qualifiedName(link.table)} AS ${linkAlias} USE INDEX FOR ORDER BY () STRAIGHT_JOIN ${qualifiedName(node.table)} AS ${alias} USE INDEX FOR ORDER BY () ON ${alias}.${quoteIdentifier(node.join.childColumn)} = ${linkAlias}.${quoteIdentifier(link.childColumn)}`;
  const orderBy = node.order.map((term) => `${term.fromLink ? linkAlias : alias}.${quoteIdentifier(term.column)}${term.descending ? ' DESC' : ''}`).join(', ');
  return {
    select: `SELECT ${parts.join(', ')}`,
    from,
    keyColumn: (column) => `${link === undefined ? alias : linkAlias}.${quoteIdentifier(column)}`,
    where: node.where,
    orderBy,
  };
}

/** The columns of `node`'s table its documents use, in table order (nodeQuery selects them so). */
export function selectedColumns(node: DescriptorNode): ColumnDefinition[] {
  return node.table.columns.filter((column) => node.usedColumns.has(column.name));
}

/** The fields of `node` taken from its link row. */
export function linkFields(node: DescriptorNode): DescriptorField[] {
  return node.fields.filter((field) => field.fromLink === true);
}

/** Where the values of a node's row sit, by column name, once read (build-documents.ts keeps each row as arrays). */
export interface RowPositions {
  /** Positions in the row's values: {@link selectedColumns}'s order. */
  readonly columns: ReadonlyMap<string, number>;
  /** Positions in the link row's values: {@link linkFields}'s order (the first, for a column embedded twice). */
  readonly link: ReadonlyMap<string, number>;
}

const positions = new WeakMap<DescriptorNode, RowPositions>();

/** The {@link RowPositions} of `node`, worked out once. */
export function rowPositions(node: DescriptorNode): RowPositions {
  let found = positions.get(node);
  if (found === undefined) {
    const link = new Map<string, number>();
    linkFields(node).forEach((field, index) => {
      if (!link.has(field.column.name)) link.set(field.column.name, index);
    });
    found = { columns: new Map(selectedColumns(node).map((column, index) => [column.name, index])), link };
    positions.set(node, found);
  }
  return found;
}
