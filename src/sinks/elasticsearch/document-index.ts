import { ConfigurationError, SluiceError } from '../../errors.js';
import { EngineError } from '../engine/engine-error.js';
import type { SearchEngine } from '../engine/search-engine.js';

/** The mapping of sluice's `_sluice` field in every document index. */
export const SLUICE_FIELD_MAPPING = {
  properties: {
    id: { type: 'keyword' },
    hash: { type: 'keyword' },
    refs: { type: 'keyword' },
  },
} as const;

/** What {@link ensureDocumentIndex} needs of a document family. */
export interface DocumentIndexSpec {
  readonly index: string;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** index.gc_deletes: how long deleted documents' versions are remembered (protects against stale writes after a delete). */
  readonly gcDeletes: string;
  /** Where settings and mappings come from, for messages (e.g. `documents.films` of pipeline.yml). */
  readonly source?: string;
}

/**
 * Creates the index (or leaves an existing index or alias alone) with the user's settings and
 * mappings plus the `_sluice` field, and makes sure an existing index has `_sluice` mapped and
 * `index.gc_deletes` set. Safe when several processes start at once.
 */
export async function ensureDocumentIndex(engine: SearchEngine, spec: DocumentIndexSpec): Promise<'created' | 'existing'> {
  if (!(await engine.indexExists(spec.index))) {
    const mappings = { ...(spec.mappings ?? {}) } as Record<string, unknown>;
    const properties = { ...((mappings.properties as Record<string, unknown> | undefined) ?? {}), _sluice: SLUICE_FIELD_MAPPING };
    try {
      // 'exists': another process created it in between
      const result = await engine.createIndex(spec.index, {
        settings: { ...(spec.settings ?? {}), 'index.gc_deletes': spec.gcDeletes },
        mappings: { ...mappings, properties },
      });
      if (result === 'created') return 'created';
    } catch (error) {
      if (error instanceof EngineError && error.status === 400) {
        const where = spec.source ?? `the index ${spec.index}`;
        throw new ConfigurationError(`the search engine refused the settings or mappings of ${where}: ${error.message}`, `correct the settings and mappings of ${where}`, {
          cause: error,
          context: { index: spec.index },
        });
      }
      if (error instanceof ConfigurationError) throw error;
      throw new SluiceError(`cannot create index ${spec.index}`, { cause: error, retriable: true, context: { index: spec.index } });
    }
  }
  await engine.putMapping(spec.index, { properties: { _sluice: SLUICE_FIELD_MAPPING } });
  await engine.putSettings(spec.index, { 'index.gc_deletes': spec.gcDeletes });
  return 'existing';
}
