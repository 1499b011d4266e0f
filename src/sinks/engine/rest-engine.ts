import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, describeErrorCause } from './engine-error.js';
import { segment, type EngineTransport } from './engine-transport.js';
import type {
  AliasAction,
  BulkResult,
  ByQueryRequest,
  ByQueryResult,
  EngineCapabilities,
  EngineErrorCause,
  IndexTemplate,
  IndexWork,
  ReindexRequest,
  RequestOptions,
  SearchEngine,
  SearchHit,
  SearchRequest,
  SearchResult,
  SourceFilter,
  TaskStatus,
} from './search-engine.js';

/** How the two engines differ on point in time. */
export interface PointInTimeDialect {
  /** The sort that orders every hit of a point in time uniquely (Elasticsearch `_shard_doc`; OpenSearch 2.x has none, `_id` works). */
  readonly tiebreaker: Readonly<Record<string, 'asc'>>;
  open(transport: EngineTransport, index: string, keepAlive: string): Promise<string>;
  close(transport: EngineTransport, id: string): Promise<void>;
}

/** The sections of an index's `_stats` that {@link RestEngine.indexWork} reads. */
interface IndexStatsSections {
  indexing?: { index_total?: number; index_time_in_millis?: number };
  refresh?: { total_time_in_millis?: number };
  merges?: { total_time_in_millis?: number };
}

interface ByQueryBody {
  total?: number;
  created?: number;
  updated?: number;
  deleted?: number;
  version_conflicts?: number;
  failures?: unknown[];
}

function byQueryResult(body: ByQueryBody): ByQueryResult {
  return {
    total: body.total ?? 0,
    created: body.created ?? 0,
    updated: body.updated ?? 0,
    deleted: body.deleted ?? 0,
    versionConflicts: body.version_conflicts ?? 0,
    failures: body.failures ?? [],
  };
}

/**
 * What a bulk response is cut down to (`filter_path`): the fields a `BulkItemResult` holds.
 * The engine then serializes, and the client parses, about a quarter of the bytes (no `_index`,
 * `_id`, `_version`, `_shards`, `_seq_no`, `_primary_term` per item).
 */
const BULK_RESPONSE_FIELDS = 'errors,items.*.status,items.*.result,items.*.error';

/**
 * The port implemented once over the REST API both engines share (bulk, search, reindex, tasks,
 * index templates, aliases, stored scripts); each adapter brings its client's transport and the
 * few differences (point in time).
 */
export class RestEngine implements SearchEngine {
  constructor(
    private readonly transport: EngineTransport,
    private readonly pointInTime: PointInTimeDialect,
  ) {}

  get kind(): EngineTransport['kind'] {
    return this.transport.kind;
  }

  async capabilities(): Promise<EngineCapabilities> {
    const { body } = await this.transport.request<{ nodes?: Record<string, { version?: string; modules?: Array<{ name: string }> }> }>({
      method: 'GET',
      path: '/_nodes/plugins',
      querystring: { filter_path: 'nodes.*.version,nodes.*.modules.name' },
    });
    const nodes = Object.values(body.nodes ?? {});
    const moduleSets = nodes.map((node) => new Set((node.modules ?? []).map((module) => module.name)));
    const everyNodeHas = (name: string): boolean => moduleSets.length > 0 && moduleSets.every((set) => set.has(name));
    const modules = [...new Set(moduleSets.flatMap((set) => [...set]))].filter(everyNodeHas).sort();
    return { engine: this.kind, version: nodes[0]?.version ?? 'unknown', modules, painless: everyNodeHas('lang-painless'), reindex: everyNodeHas('reindex') };
  }

  async clusterHealth(waitForStatus: 'green' | 'yellow', timeout: string): Promise<{ status: 'green' | 'yellow' | 'red'; timedOut: boolean }> {
    const { body } = await this.transport.request<{ status: 'green' | 'yellow' | 'red'; timed_out: boolean }>(
      { method: 'GET', path: '/_cluster/health', querystring: { wait_for_status: waitForStatus, timeout } },
      { ignore: [408] },
    );
    return { status: body.status, timedOut: body.timed_out };
  }

  async bulk(body: string | Buffer, options: RequestOptions & { refresh?: boolean | 'wait_for' } = {}): Promise<BulkResult> {
    const querystring = { filter_path: BULK_RESPONSE_FIELDS, ...(options.refresh === undefined ? {} : { refresh: String(options.refresh) }) };
    const response = await this.transport.request<{ errors: boolean; items?: Array<Record<string, { status: number; result?: string; error?: EngineErrorCause }>> }>(
      { method: 'POST', path: '/_bulk', bulkBody: body, querystring },
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return {
      errors: response.body.errors,
      items: (response.body.items ?? []).map((item) => {
        const result = Object.values(item)[0];
        if (result === undefined) return { status: 0 };
        return { status: result.status, ...(result.result === undefined ? {} : { result: result.result }), ...(result.error === undefined ? {} : { error: result.error }) };
      }),
    };
  }

  async refresh(index: string): Promise<void> {
    await this.transport.request({ method: 'POST', path: `/${segment(index)}/_refresh` });
  }

  async search<T>(request: SearchRequest): Promise<SearchResult<T>> {
    const { index, ...body } = request;
    const { body: response } = await this.transport.request<{ hits: { hits: Array<SearchHit<T>>; total?: { value: number } | number }; pit_id?: string }>({
      method: 'POST',
      path: index === undefined ? '/_search' : `/${segment(index)}/_search`,
      body,
    });
    const total = response.hits.total;
    return {
      hits: response.hits.hits,
      ...(total === undefined ? {} : { total: typeof total === 'number' ? total : total.value }),
      ...(response.pit_id === undefined ? {} : { pitId: response.pit_id }),
    };
  }

  async get<T>(index: string, id: string): Promise<{ _source: T; _version: number; _seq_no: number; _primary_term: number } | undefined> {
    const { status, body } = await this.transport.request<{ found: boolean; _source: T; _version: number; _seq_no: number; _primary_term: number }>(
      { method: 'GET', path: `/${segment(index)}/_doc/${segment(id)}` },
      { ignore: [404] },
    );
    return status === 404 || !body.found ? undefined : { _source: body._source, _version: body._version, _seq_no: body._seq_no, _primary_term: body._primary_term };
  }

  async putDocument(
    index: string,
    id: string,
    document: Readonly<Record<string, unknown>>,
    condition?: { readonly create: true } | { readonly ifSeqNo: number; readonly ifPrimaryTerm: number },
  ): Promise<{ _seq_no: number; _primary_term: number } | 'conflict'> {
    const query =
      condition === undefined ? '' : 'create' in condition ? '?op_type=create' : `?if_seq_no=${condition.ifSeqNo}&if_primary_term=${condition.ifPrimaryTerm}`;
    const { status, body } = await this.transport.request<{ _seq_no: number; _primary_term: number }>(
      { method: 'PUT', path: `/${segment(index)}/_doc/${segment(id)}${query}`, body: document },
      { ignore: [409] },
    );
    return status === 409 ? 'conflict' : { _seq_no: body._seq_no, _primary_term: body._primary_term };
  }

  async count(index: string, query?: Readonly<Record<string, unknown>>): Promise<number> {
    const { body } = await this.transport.request<{ count: number }>({ method: 'POST', path: `/${segment(index)}/_count`, ...(query === undefined ? {} : { body: { query } }) });
    return body.count;
  }

  openPointInTime(index: string, keepAlive: string): Promise<string> {
    return this.pointInTime.open(this.transport, index, keepAlive);
  }

  closePointInTime(id: string): Promise<void> {
    return this.pointInTime.close(this.transport, id);
  }

  async *scan<T>(
    index: string,
    options: { query?: Readonly<Record<string, unknown>>; pageSize: number; keepAlive?: string; _source?: SourceFilter; sort?: readonly unknown[] },
  ): AsyncGenerator<Array<SearchHit<T>>> {
    const keepAlive = options.keepAlive ?? '1m';
    let pitId = await this.openPointInTime(index, keepAlive);
    try {
      let after: readonly unknown[] | undefined;
      for (;;) {
        const page = await this.search<T>({
          pit: { id: pitId, keep_alive: keepAlive },
          size: options.pageSize,
          sort: [...(options.sort ?? []), this.pointInTime.tiebreaker],
          track_total_hits: false,
          ...(options.query === undefined ? {} : { query: options.query }),
          ...(options._source === undefined ? {} : { _source: options._source }),
          ...(after === undefined ? {} : { search_after: after }),
        });
        pitId = page.pitId ?? pitId;
        if (page.hits.length > 0) yield [...page.hits];
        const last = page.hits[page.hits.length - 1];
        if (last?.sort === undefined || page.hits.length < options.pageSize) return;
        after = last.sort;
      }
    } finally {
      await this.closePointInTime(pitId).catch(() => undefined);
    }
  }

  async reindex(request: ReindexRequest): Promise<ByQueryResult> {
    const { refresh, ...body } = request;
    const { body: response } = await this.transport.request<ByQueryBody>({
      method: 'POST',
      path: '/_reindex',
      querystring: { wait_for_completion: true, refresh: refresh ?? false },
      body,
    });
    return byQueryResult(response);
  }

  async startReindex(request: ReindexRequest): Promise<string> {
    const { refresh, ...body } = request;
    const { body: response } = await this.transport.request<{ task: string }>({
      method: 'POST',
      path: '/_reindex',
      querystring: { wait_for_completion: false, refresh: refresh ?? false },
      body,
    });
    return response.task;
  }

  updateByQuery(request: ByQueryRequest): Promise<ByQueryResult> {
    return this.byQuery('_update_by_query', request);
  }

  deleteByQuery(request: ByQueryRequest): Promise<ByQueryResult> {
    return this.byQuery('_delete_by_query', request);
  }

  private async byQuery(endpoint: string, request: ByQueryRequest): Promise<ByQueryResult> {
    const { index, refresh, conflicts, ...body } = request;
    const { body: response } = await this.transport.request<ByQueryBody>({
      method: 'POST',
      path: `/${segment(index)}/${endpoint}`,
      querystring: { refresh: refresh ?? false, conflicts: conflicts ?? 'abort' },
      body,
    });
    return byQueryResult(response);
  }

  async task(taskId: string): Promise<TaskStatus> {
    const { body } = await this.transport.request<{ completed: boolean; task?: { status?: ByQueryBody }; response?: ByQueryBody; error?: EngineErrorCause }>({
      method: 'GET',
      path: `/_tasks/${segment(taskId)}`,
    });
    const status = body.task?.status ?? {};
    return {
      completed: body.completed,
      progress: { total: status.total ?? 0, created: status.created ?? 0, updated: status.updated ?? 0, deleted: status.deleted ?? 0 },
      ...(body.response === undefined ? {} : { result: byQueryResult(body.response) }),
      ...(body.error === undefined ? {} : { error: body.error }),
    };
  }

  async waitForTask(taskId: string, options: RequestOptions & { pollMs?: number; onProgress?: (status: TaskStatus) => void } = {}): Promise<ByQueryResult> {
    for (;;) {
      const status = await this.task(taskId);
      options.onProgress?.(status);
      if (status.completed) {
        if (status.error !== undefined) throw new EngineError(`task ${taskId} failed: ${describeErrorCause(status.error)}`, { status: 500, type: status.error.type });
        const result = status.result ?? byQueryResult({});
        if (result.failures.length > 0) throw new EngineError(`task ${taskId} finished with ${result.failures.length} failures`, { status: 500, context: { failures: result.failures.slice(0, 3) } });
        return result;
      }
      await sleep(options.pollMs ?? 500, undefined, options.signal === undefined ? {} : { signal: options.signal });
    }
  }

  async indexExists(index: string): Promise<boolean> {
    const { status } = await this.transport.request({ method: 'HEAD', path: `/${segment(index)}` }, { ignore: [404] });
    return status === 200;
  }

  async listIndexes(pattern: string): Promise<Array<{ index: string; docs: number; createdMs: number }>> {
    const { status, body } = await this.transport.request<Array<{ index: string; 'docs.count'?: string | null; 'creation.date'?: string }>>(
      { method: 'GET', path: `/_cat/indices/${segment(pattern)}`, querystring: { format: 'json', h: 'index,docs.count,creation.date', expand_wildcards: 'open' } },
      { ignore: [404] },
    );
    if (status === 404 || !Array.isArray(body)) return [];
    return body
      .map((row) => ({ index: row.index, docs: Number(row['docs.count'] ?? 0), createdMs: Number(row['creation.date'] ?? 0) }))
      .sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
  }

  async createIndex(
    index: string,
    body: { settings?: Readonly<Record<string, unknown>>; mappings?: Readonly<Record<string, unknown>>; aliases?: Readonly<Record<string, unknown>> },
  ): Promise<'created' | 'exists'> {
    try {
      await this.transport.request({ method: 'PUT', path: `/${segment(index)}`, body });
      return 'created';
    } catch (error) {
      if (error instanceof EngineError && (error.type === 'resource_already_exists_exception' || (error.type === 'invalid_index_name_exception' && error.message.includes('already exists as alias')))) {
        return 'exists';
      }
      throw error;
    }
  }

  async deleteIndex(index: string): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: `/${segment(index)}` }, { ignore: [404] });
  }

  async putMapping(index: string, mapping: { properties?: Readonly<Record<string, unknown>>; _meta?: Readonly<Record<string, unknown>> }): Promise<void> {
    await this.transport.request({ method: 'PUT', path: `/${segment(index)}/_mapping`, body: mapping });
  }

  async describeIndex(index: string): Promise<{ mappings: Readonly<Record<string, unknown>>; settings: Readonly<Record<string, unknown>> }> {
    const { body } = await this.transport.request<Record<string, { mappings?: Record<string, unknown>; settings?: { index?: Record<string, unknown> } }>>({
      method: 'GET',
      path: `/${segment(index)}`,
      querystring: { filter_path: '*.mappings,*.settings.index' },
    });
    const found = Object.values(body)[0];
    return { mappings: found?.mappings ?? {}, settings: found?.settings?.index ?? {} };
  }

  async indexingTotal(index: string): Promise<number> {
    const { body } = await this.transport.request<{ _all?: { primaries?: { indexing?: { index_total?: number } } } }>({
      method: 'GET',
      path: `/${segment(index)}/_stats/indexing`,
      querystring: { filter_path: '_all.primaries.indexing.index_total' },
    });
    return body._all?.primaries?.indexing?.index_total ?? 0;
  }

  async indexWork(index: string): Promise<IndexWork> {
    const { body } = await this.transport.request<{ _all?: { primaries?: IndexStatsSections } }>({
      method: 'GET',
      path: `/${segment(index)}/_stats/indexing,refresh,merge`,
      querystring: { filter_path: '_all.primaries.indexing.index_total,_all.primaries.indexing.index_time_in_millis,_all.primaries.refresh.total_time_in_millis,_all.primaries.merges.total_time_in_millis' },
    });
    const primaries = body._all?.primaries;
    return {
      operations: primaries?.indexing?.index_total ?? 0,
      indexingMs: primaries?.indexing?.index_time_in_millis ?? 0,
      refreshMs: primaries?.refresh?.total_time_in_millis ?? 0,
      mergeMs: primaries?.merges?.total_time_in_millis ?? 0,
    };
  }

  async getMappingMeta(index: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    const { body } = await this.transport.request<Record<string, { mappings?: { _meta?: Record<string, unknown> } }>>({ method: 'GET', path: `/${segment(index)}/_mapping` });
    return Object.values(body)[0]?.mappings?._meta;
  }

  async putSettings(index: string, settings: Readonly<Record<string, unknown>>): Promise<void> {
    await this.transport.request({ method: 'PUT', path: `/${segment(index)}/_settings`, body: settings });
  }

  async putIndexTemplate(name: string, template: IndexTemplate): Promise<void> {
    await this.transport.request({ method: 'PUT', path: `/_index_template/${segment(name)}`, body: template });
  }

  async getIndexTemplate(name: string): Promise<IndexTemplate | undefined> {
    const { status, body } = await this.transport.request<{ index_templates?: Array<{ name: string; index_template: IndexTemplate }> }>(
      { method: 'GET', path: `/_index_template/${segment(name)}` },
      { ignore: [404] },
    );
    return status === 404 ? undefined : body.index_templates?.find((entry) => entry.name === name)?.index_template;
  }

  async deleteIndexTemplate(name: string): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: `/_index_template/${segment(name)}` }, { ignore: [404] });
  }

  async updateAliases(actions: readonly AliasAction[]): Promise<void> {
    await this.transport.request({ method: 'POST', path: '/_aliases', body: { actions } });
  }

  async getAlias(alias: string): Promise<Readonly<Record<string, { isWriteIndex: boolean }>>> {
    const { status, body } = await this.transport.request<Record<string, { aliases: Record<string, { is_write_index?: boolean }> }>>(
      { method: 'GET', path: `/_alias/${segment(alias)}` },
      { ignore: [404] },
    );
    if (status === 404) return {};
    return Object.fromEntries(Object.entries(body).map(([index, entry]) => [index, { isWriteIndex: entry.aliases[alias]?.is_write_index === true }]));
  }

  async putStoredScript(id: string, source: string, lang = 'painless'): Promise<void> {
    await this.transport.request({ method: 'PUT', path: `/_scripts/${segment(id)}`, body: { script: { lang, source } } });
  }

  async getStoredScript(id: string): Promise<string | undefined> {
    const { status, body } = await this.transport.request<{ found?: boolean; script?: { source: string } }>({ method: 'GET', path: `/_scripts/${segment(id)}` }, { ignore: [404] });
    return status === 404 || body.found === false ? undefined : body.script?.source;
  }

  async deleteStoredScript(id: string): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: `/_scripts/${segment(id)}` }, { ignore: [404] });
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
