import type { ColumnDefinition } from '../model/column.js';
import type { TableInfo } from '../model/table.js';
import type { DocumentBuilder, RelationType } from '../config/document-definition.js';

/**
 * A compiled document definition: every table and column resolved against the database, and the
 * relations turned into joins. The builder walks it top-down; the expander walks it bottom-up.
 */

/** An output property and the column it comes from. */
export interface DescriptorField {
  readonly name: string;
  readonly column: ColumnDefinition;
  /** True when the column is the link row's (a many-to-many relation's link table), not the node's. */
  readonly fromLink?: boolean | undefined;
}

/** An output property computed by a SQL expression on the row, in the build query. */
export interface DescriptorComputed {
  readonly name: string;
  /** The expression, as written in the pipeline file (trusted configuration). */
  readonly expression: string;
}

/** One term of a list's order: a column of the node's table or of its link table. */
export interface DescriptorOrder {
  readonly column: string;
  readonly fromLink: boolean;
  readonly descending: boolean;
}

/** A link table of a many-to-many join. */
export interface DescriptorLink {
  readonly table: TableInfo;
  /** Link column equal to the parent's `parentColumn`. */
  readonly parentColumn: string;
  /** Link column equal to the child's `childColumn`. */
  readonly childColumn: string;
  /** Every link column the document depends on (join columns, embedded fields, order). */
  readonly usedColumns: ReadonlySet<string>;
}

/**
 * How a node's rows join its parent's rows: parent.parentColumn = child.childColumn, directly or
 * through a link table (parent.parentColumn = link.parentColumn, link.childColumn = child.childColumn).
 */
export interface DescriptorJoin {
  readonly type: RelationType;
  readonly parentColumn: string;
  readonly childColumn: string;
  readonly link?: DescriptorLink | undefined;
}

/** One table of a document: the root or an embedded relation. */
export interface DescriptorNode {
  /** Key path in the pipeline file, for messages: `documents.films.relations.actors`. */
  readonly path: string;
  /** The property of the parent object (undefined for the root). */
  readonly property: string | undefined;
  readonly table: TableInfo;
  /** Output fields in order (empty when `scalar` is set). */
  readonly fields: readonly DescriptorField[];
  readonly scalar?: ColumnDefinition | undefined;
  /** Output properties computed by SQL expressions, after `fields`. */
  readonly computed: readonly DescriptorComputed[];
  /** The order of a to-many list (always ends with the primary key, then the link's). */
  readonly order: readonly DescriptorOrder[];
  /** Only rows for which this SQL condition holds are embedded (trusted configuration). */
  readonly where?: string | undefined;
  /** At most this many rows are embedded per parent. */
  readonly limit?: number | undefined;
  /**
   * True when the document depends on columns sluice cannot name (a `where` or a computed
   * expression): every change to the node's table (and link table) counts, whatever its columns.
   */
  readonly opaque: boolean;
  /** How this node joins its parent (undefined for the root). */
  readonly join?: DescriptorJoin | undefined;
  readonly parent?: DescriptorNode | undefined;
  readonly children: readonly DescriptorNode[];
  /** Every column of this table the document depends on (fields, keys, join columns). */
  readonly usedColumns: ReadonlySet<string>;
}

/** A compiled document family. */
export interface DocumentDescriptor {
  readonly name: string;
  readonly index: string;
  readonly root: DescriptorNode;
  /** The root column whose value is the document id. */
  readonly idColumn: string;
  /** Every node, root first (depth-first order). */
  readonly nodes: readonly DescriptorNode[];
  /** Every table the document reads (node and link tables), as `db.table`. */
  readonly tables: ReadonlySet<string>;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** Where the documents' JSON is made (`database` only when the descriptor allows it: see json-select.ts). */
  readonly buildIn: DocumentBuilder;
}
