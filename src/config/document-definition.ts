/**
 * How a search document is defined, as written in the pipeline file's `documents` section: a root
 * table (one document per row) and relations of any depth. The config layer validates the shape;
 * {@link compileDocument} checks every identifier against the database.
 */

/** Selected columns: a list of column names, or a mapping output name -> column name. */
export type FieldSelection = readonly string[] | Readonly<Record<string, string>>;

/** The kinds of relation between a parent row and the rows it embeds. */
export type RelationType = 'manyToOne' | 'oneToMany' | 'manyToMany';

/** A link table of a many-to-many relation. */
export interface LinkDefinition {
  readonly table: string;
  /** Column of the link table that references the parent's key. */
  readonly foreignKey: string;
  /** Column of the link table that references the embedded table's key. */
  readonly otherKey: string;
  /** The embedded table's column `otherKey` refers to (default: its single-column primary key). */
  readonly references?: string | undefined;
}

/** A relation embedded in a parent object under its name. */
export interface RelationDefinition {
  readonly type: RelationType;
  /** The embedded table: `table` or `database.table`. */
  readonly table: string;
  /**
   * manyToOne: the parent's column holding the embedded row's key.
   * oneToMany: the embedded table's column holding the parent's key.
   */
  readonly foreignKey?: string | undefined;
  /**
   * manyToOne: the embedded table's column `foreignKey` refers to (default: its primary key).
   * oneToMany and manyToMany: the parent's column referred to (default: the parent's primary key).
   */
  readonly references?: string | undefined;
  /** manyToMany: the link table. */
  readonly through?: LinkDefinition | undefined;
  /**
   * The columns to embed (default: every column of the embedded table), unless `scalar` is given.
   * manyToMany: a name may also be a column of the link table (`link_table.column`, or just
   * `column` when the embedded table has no column of that name).
   */
  readonly fields?: FieldSelection | undefined;
  /** Embed just this column's value (a name instead of an object; a list of names for to-many). */
  readonly scalar?: string | undefined;
  /** Output name -> SQL expression on the embedded row, evaluated in the build query. */
  readonly computed?: Readonly<Record<string, string>> | undefined;
  /**
   * oneToMany and manyToMany: the order of the list, `column`, `column desc` or `table.column asc`
   * (the link table's columns too); ties and the rest are ordered by primary key.
   */
  readonly orderBy?: string | readonly string[] | undefined;
  /** A SQL condition on the embedded row (and link row): only the rows it holds for are embedded. */
  readonly where?: string | undefined;
  /** oneToMany and manyToMany: embed at most this many rows (the first ones in `orderBy` order). */
  readonly limit?: number | undefined;
  readonly relations?: Readonly<Record<string, RelationDefinition>> | undefined;
}

/** A document family: one document per row of `table`, written to `index`. */
export interface DocumentDefinition {
  /** The Elasticsearch index (or alias) written to; default `<pipeline>-<document name>`. */
  readonly index?: string | undefined;
  /** The root table: `table` or `database.table`. */
  readonly table: string;
  /** The root column whose value is the document id (default: the single-column primary key). */
  readonly id?: string | undefined;
  readonly fields?: FieldSelection | undefined;
  /** Output name -> SQL expression on the root row, evaluated in the build query. */
  readonly computed?: Readonly<Record<string, string>> | undefined;
  readonly relations?: Readonly<Record<string, RelationDefinition>> | undefined;
  /** Index settings used when sluice creates the index. */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  /** Index mappings used when sluice creates the index (sluice adds its `_sluice` field). */
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** Where the documents' JSON is made (default `sink`; see {@link DocumentBuilder}). */
  readonly buildIn?: DocumentBuilder | undefined;
}

/**
 * Who makes a document's JSON: `sink` from the rows it reads (one query per relation), or
 * `database` (MariaDB 10.5+: one query returns each document's JSON, see json-select.ts). On the
 * bench the second took about a quarter off the sink's CPU and tripled the database's.
 */
export type DocumentBuilder = 'sink' | 'database';
