/**
 * The check at the end of `npm run demo:mapping-change`: do the documents behind the read alias
 * equal the database? Every root row is built now with sluice's builder (the same SQL the sink
 * runs, in one consistent snapshot per page) and compared with the document the alias returns:
 * the same ids (count, none missing, none extra) and the same content (every field; the sync's
 * bookkeeping fields aside).
 */
import type { Pool } from 'mysql2/promise';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import { buildDocuments } from '../../src/descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { loadDescriptors } from '../../src/descriptors/read-pool.js';
import { pipelineTableFilter } from '../../src/pipeline/capture-settings.js';
import { readTableCatalog } from '../../src/sources/mysql/table-catalog.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { BATCH_FIELD, canonicalJson, LAST_UPDATED_FIELD } from '../../src/sinks/orchestrator/channel.js';
import { rootIdPages } from '../../src/sinks/orchestrator/root-ids.js';

/** How the documents compare with the database. */
export interface EqualityReport {
  /** Root rows in the database, and documents behind the alias. */
  readonly rows: number;
  readonly documents: number;
  /** Documents equal to their build from the database. */
  readonly equal: number;
  /** Ids of documents that differ, are missing or are extra (the first few of each). */
  readonly differ: readonly string[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly differCount: number;
  readonly missingCount: number;
  readonly extraCount: number;
  /** The sample shown: for `sampleIds`, the document's value of `sampleField` and the database's. */
  readonly sample: ReadonlyArray<{ readonly id: string; readonly indexed: unknown; readonly database: unknown }>;
}

/** Whether the report says equal. */
export function isEqual(report: EqualityReport): boolean {
  return report.rows === report.documents && report.differCount === 0 && report.missingCount === 0 && report.extraCount === 0;
}

/** The descriptor of document `name` of `config` (compiled against the database catalog, as the sink does). */
export async function documentDescriptor(pool: Pool, config: PipelineConfig, file: string, name: string): Promise<DocumentDescriptor> {
  const definition = config.documents[name];
  if (definition === undefined) throw new Error(`${file} has no documents.${name}`);
  const [descriptor] = await loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), { [name]: definition }, {
    file,
    pipeline: config.pipeline,
    defaultDatabase: config.source.mysql.databases.length === 1 ? config.source.mysql.databases[0] : undefined,
    isCaptured: pipelineTableFilter(config),
    databases: config.source.mysql.databases,
  });
  if (descriptor === undefined) throw new Error(`documents.${name} of ${file} compiled to nothing`);
  return descriptor;
}

/** A stored `_source` without sluice's bookkeeping (`_sluice`, the sync's batch and last-updated fields). */
function content(source: Record<string, unknown>): string {
  const { _sluice: _metadata, [BATCH_FIELD]: _batch, [LAST_UPDATED_FIELD]: _updated, ...rest } = source;
  return canonicalJson(rest);
}

/**
 * Compares every document behind `alias` with the documents built now from `pool` (`pool` must be
 * a read pool: src/descriptors/read-pool.ts). `sampleIds` and `sampleField` choose what the report
 * shows side by side.
 */
export async function compareWithDatabase(
  engine: SearchEngine,
  pool: Pool,
  descriptor: DocumentDescriptor,
  alias: string,
  sampleIds: readonly string[],
  sampleField: string,
): Promise<EqualityReport> {
  await engine.refresh(alias);
  const indexed = new Map<string, Record<string, unknown>>();
  for await (const page of engine.scan<Record<string, unknown>>(alias, { pageSize: 5000 })) {
    for (const hit of page) if (hit._source !== undefined) indexed.set(hit._id, hit._source);
  }
  const documents = indexed.size;
  const differ: string[] = [];
  const missing: string[] = [];
  let rows = 0;
  let equal = 0;
  const built = new Map<string, Record<string, unknown>>();
  for await (const ids of rootIdPages(pool, descriptor, 1000)) {
    const connection = await pool.getConnection();
    try {
      const page = await buildDocuments(connection, descriptor, ids);
      for (const document of page.documents) {
        rows += 1;
        if (sampleIds.includes(document.id)) built.set(document.id, document.source);
        const stored = indexed.get(document.id);
        indexed.delete(document.id);
        if (stored === undefined) missing.push(document.id);
        else if (content(stored) === content(document.source)) equal += 1;
        else differ.push(document.id);
      }
    } finally {
      connection.release();
    }
  }
  const extra = [...indexed.keys()];
  const sample = [];
  for (const id of sampleIds) {
    const stored = (await engine.get<Record<string, unknown>>(alias, id))?._source;
    sample.push({ id, indexed: stored?.[sampleField], database: built.get(id)?.[sampleField] });
  }
  return {
    rows,
    documents,
    equal,
    differ: differ.slice(0, 10),
    missing: missing.slice(0, 10),
    extra: extra.slice(0, 10),
    differCount: differ.length,
    missingCount: missing.length,
    extraCount: extra.length,
    sample,
  };
}
