/**
 * The engine port: everything sluice asks of a search engine, independent of the product. Two
 * adapters implement it (Elasticsearch 8.x/9.x through @elastic/elasticsearch's transport, OpenSearch
 * 2.x/3.x through @opensearch-project/opensearch's); nothing outside src/sinks/engine imports either
 * client library.
 * Every method throws an EngineError (src/sinks/engine/engine-error.ts) on failure, and an
 * EngineAccessError (a ConfigurationError) on 401/403.
 */

/** The two supported distributions. */
export type EngineKind = 'elasticsearch' | 'opensearch';

/** What a cluster is and can do. */
export interface EngineCapabilities {
  readonly engine: EngineKind;
  /** The version of the first node, e.g. 8.19.21 or 2.19.6. */
  readonly version: string;
  /** The modules every node has, sorted. */
  readonly modules: readonly string[];
  /** Painless scripts (scripted upserts, stored scripts, reindex and migration scripts). */
  readonly painless: boolean;
  /** _reindex, _update_by_query and _delete_by_query. */
  readonly reindex: boolean;
}

/** An error object as the engines return it (`type`, `reason`, `caused_by`). */
export interface EngineErrorCause {
  readonly type: string;
  readonly reason?: string | null;
  readonly caused_by?: EngineErrorCause;
  readonly [key: string]: unknown;
}

/** The outcome of one item of a bulk request, in the order of the request. */
export interface BulkItemResult {
  readonly status: number;
  /** created, updated, deleted, noop, not_found. */
  readonly result?: string;
  readonly error?: EngineErrorCause;
}

/** The answer to a bulk request. */
export interface BulkResult {
  readonly errors: boolean;
  readonly items: readonly BulkItemResult[];
}

/** One search hit. */
export interface SearchHit<T> {
  readonly _index: string;
  readonly _id: string;
  readonly _source?: T;
  readonly _version?: number;
  readonly _score?: number | null;
  readonly sort?: readonly unknown[];
}

/** Which fields of `_source` a search returns. */
export type SourceFilter = boolean | readonly string[] | { readonly includes?: readonly string[]; readonly excludes?: readonly string[] };

/** A search; without `index` it must carry a `pit`. */
export interface SearchRequest {
  readonly index?: string;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly size?: number;
  readonly sort?: readonly unknown[];
  readonly _source?: SourceFilter;
  readonly search_after?: readonly unknown[];
  readonly pit?: { readonly id: string; readonly keep_alive?: string };
  readonly version?: boolean;
  readonly track_total_hits?: boolean;
}

/** The answer to a search. */
export interface SearchResult<T> {
  readonly hits: ReadonlyArray<SearchHit<T>>;
  /** The total hits when tracked. */
  readonly total?: number;
  /** The (possibly renewed) point-in-time id. */
  readonly pitId?: string;
}

/** A Painless (or other) script, inline (`source`) or stored (`id`). */
export interface EngineScript {
  readonly source?: string;
  readonly id?: string;
  readonly lang?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** What _reindex, _update_by_query and _delete_by_query report. */
export interface ByQueryResult {
  readonly total: number;
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly versionConflicts: number;
  readonly failures: readonly unknown[];
}

/** A _reindex request. */
export interface ReindexRequest {
  readonly source: { readonly index: string | readonly string[]; readonly query?: Readonly<Record<string, unknown>>; readonly size?: number };
  readonly dest: { readonly index: string; readonly version_type?: 'internal' | 'external' | 'external_gte'; readonly op_type?: 'index' | 'create' };
  readonly script?: EngineScript;
  readonly conflicts?: 'abort' | 'proceed';
  readonly refresh?: boolean;
}

/** An _update_by_query or _delete_by_query request. */
export interface ByQueryRequest {
  readonly index: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly script?: EngineScript;
  readonly conflicts?: 'abort' | 'proceed';
  readonly refresh?: boolean;
}

/** A task as GET _tasks/<id> reports it. */
export interface TaskStatus {
  readonly completed: boolean;
  /** Progress so far (documents total / created / updated / deleted). */
  readonly progress: { readonly total: number; readonly created: number; readonly updated: number; readonly deleted: number };
  /** The result once completed. */
  readonly result?: ByQueryResult;
  readonly error?: EngineErrorCause;
}

/** A composable index template. */
export interface IndexTemplate {
  readonly index_patterns: readonly string[];
  readonly template?: {
    readonly settings?: Readonly<Record<string, unknown>>;
    readonly mappings?: Readonly<Record<string, unknown>>;
    readonly aliases?: Readonly<Record<string, unknown>>;
  };
  readonly priority?: number;
  readonly _meta?: Readonly<Record<string, unknown>>;
}

/** One step of an atomic alias change. */
export type AliasAction =
  | { readonly add: { readonly index: string; readonly alias: string; readonly is_write_index?: boolean } }
  | { readonly remove: { readonly index: string; readonly alias: string } }
  | { readonly remove_index: { readonly index: string } };

/** Options of a request that can be cancelled. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
}

/** An index's work so far (its primaries' stats): index operations, and milliseconds of thread time indexing, refreshing and merging. */
export interface IndexWork {
  readonly operations: number;
  readonly indexingMs: number;
  readonly refreshMs: number;
  readonly mergeMs: number;
}

/** The engine port. */
export interface SearchEngine {
  readonly kind: EngineKind;
  /** Version, distribution and the modules of every node. */
  capabilities(): Promise<EngineCapabilities>;
  /** Cluster health, waiting up to `timeout` (e.g. 2s) for `waitForStatus`. */
  clusterHealth(waitForStatus: 'green' | 'yellow', timeout: string): Promise<{ readonly status: 'green' | 'yellow' | 'red'; readonly timedOut: boolean }>;

  /** Sends an NDJSON bulk body (text, or its UTF-8 bytes) as is; one item result per operation, in order. Never retries by itself. */
  bulk(body: string | Buffer, options?: RequestOptions & { readonly refresh?: boolean | 'wait_for' }): Promise<BulkResult>;
  /** Makes every acknowledged write to `index` searchable. */
  refresh(index: string): Promise<void>;
  search<T>(request: SearchRequest): Promise<SearchResult<T>>;
  /** One document by id (real time); undefined when missing. */
  get<T>(index: string, id: string): Promise<{ readonly _source: T; readonly _version: number; readonly _seq_no: number; readonly _primary_term: number } | undefined>;
  /**
   * Writes one document, optionally only when it does not exist (`create`) or only when it is
   * still at the given sequence number and primary term (compare-and-set); resolves 'conflict'
   * when that condition fails.
   */
  putDocument(
    index: string,
    id: string,
    document: Readonly<Record<string, unknown>>,
    condition?: { readonly create: true } | { readonly ifSeqNo: number; readonly ifPrimaryTerm: number },
  ): Promise<{ readonly _seq_no: number; readonly _primary_term: number } | 'conflict'>;
  /** How many documents match `query` (all when none). */
  count(index: string, query?: Readonly<Record<string, unknown>>): Promise<number>;
  /** Opens a point in time on `index`; returns its id. */
  openPointInTime(index: string, keepAlive: string): Promise<string>;
  closePointInTime(id: string): Promise<void>;
  /**
   * Every hit of `query` in pages of `pageSize`, from a point in time (so concurrent writes do not
   * shift the pages) with search_after, sorted by `sort` then a unique tiebreaker; the point in
   * time is closed when the scan ends.
   */
  scan<T>(
    index: string,
    options: {
      readonly query?: Readonly<Record<string, unknown>>;
      readonly pageSize: number;
      readonly keepAlive?: string;
      readonly _source?: SourceFilter;
      readonly sort?: readonly unknown[];
    },
  ): AsyncGenerator<Array<SearchHit<T>>>;

  /** _reindex, waiting for the result. */
  reindex(request: ReindexRequest): Promise<ByQueryResult>;
  /** _reindex as a task; returns the task id to poll with {@link task} / {@link waitForTask}. */
  startReindex(request: ReindexRequest): Promise<string>;
  updateByQuery(request: ByQueryRequest): Promise<ByQueryResult>;
  deleteByQuery(request: ByQueryRequest): Promise<ByQueryResult>;
  task(taskId: string): Promise<TaskStatus>;
  /** Polls a task until it completes, reporting progress; throws an EngineError when it failed. */
  waitForTask(taskId: string, options?: RequestOptions & { readonly pollMs?: number; readonly onProgress?: (status: TaskStatus) => void }): Promise<ByQueryResult>;

  indexExists(index: string): Promise<boolean>;
  /** The open indexes matching `pattern` (wildcards allowed), with their document counts and creation times; [] when none. */
  listIndexes(pattern: string): Promise<ReadonlyArray<{ readonly index: string; readonly docs: number; readonly createdMs: number }>>;
  /** Creates an index; 'exists' when it (or an alias of that name) already exists. */
  createIndex(
    index: string,
    body: { readonly settings?: Readonly<Record<string, unknown>>; readonly mappings?: Readonly<Record<string, unknown>>; readonly aliases?: Readonly<Record<string, unknown>> },
  ): Promise<'created' | 'exists'>;
  deleteIndex(index: string): Promise<void>;
  /** Adds fields (and optionally `_meta`) to the mapping of an existing index. */
  putMapping(index: string, mapping: { readonly properties?: Readonly<Record<string, unknown>>; readonly _meta?: Readonly<Record<string, unknown>> }): Promise<void>;
  /** The mappings and index settings (flat, e.g. number_of_shards) of an index (the first concrete index behind an alias). */
  describeIndex(index: string): Promise<{ readonly mappings: Readonly<Record<string, unknown>>; readonly settings: Readonly<Record<string, unknown>> }>;
  /** Index operations applied by the primaries of `index` so far (`indexing.index_total` of its stats). */
  indexingTotal(index: string): Promise<number>;
  /** What the primaries of `index` did so far, from its stats: operations and the thread time spent indexing, refreshing and merging. */
  indexWork(index: string): Promise<IndexWork>;
  /** The mapping `_meta` of an index (the first concrete index behind an alias). */
  getMappingMeta(index: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  putSettings(index: string, settings: Readonly<Record<string, unknown>>): Promise<void>;
  putIndexTemplate(name: string, template: IndexTemplate): Promise<void>;
  getIndexTemplate(name: string): Promise<IndexTemplate | undefined>;
  deleteIndexTemplate(name: string): Promise<void>;

  /** Applies alias actions atomically. */
  updateAliases(actions: readonly AliasAction[]): Promise<void>;
  /** The indexes behind an alias, each with whether it is the write index; {} when there is none. */
  getAlias(alias: string): Promise<Readonly<Record<string, { readonly isWriteIndex: boolean }>>>;

  putStoredScript(id: string, source: string, lang?: string): Promise<void>;
  getStoredScript(id: string): Promise<string | undefined>;
  deleteStoredScript(id: string): Promise<void>;

  close(): Promise<void>;
}
