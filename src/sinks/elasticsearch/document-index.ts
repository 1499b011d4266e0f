import type { Client } from '@elastic/elasticsearch';
import { ConfigurationError, SluiceError } from '../../errors.js';

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
export async function ensureDocumentIndex(client: Client, spec: DocumentIndexSpec): Promise<'created' | 'existing'> {
  const exists = await client.indices.exists({ index: spec.index });
  if (!exists) {
    const mappings = { ...(spec.mappings ?? {}) } as Record<string, unknown>;
    const properties = { ...((mappings.properties as Record<string, unknown> | undefined) ?? {}), _sluice: SLUICE_FIELD_MAPPING };
    try {
      await client.indices.create({
        index: spec.index,
        settings: { ...(spec.settings ?? {}), 'index.gc_deletes': spec.gcDeletes },
        mappings: { ...mappings, properties },
      });
      return 'created';
    } catch (error) {
      const { statusCode, message } = error as { statusCode?: number; message?: string };
      if (String(message).includes('resource_already_exists_exception')) {
        // another process created it in between
      } else if (statusCode === 400) {
        const where = spec.source ?? `the index ${spec.index}`;
        throw new ConfigurationError(`Elasticsearch refused the settings or mappings of ${where}: ${String(message)}`, `correct the settings and mappings of ${where}`, {
          cause: error,
          context: { index: spec.index },
        });
      } else {
        throw new SluiceError(`cannot create index ${spec.index}`, { cause: error, retriable: true, context: { index: spec.index } });
      }
    }
  }
  await client.indices.putMapping({ index: spec.index, properties: { _sluice: SLUICE_FIELD_MAPPING } });
  await client.indices.putSettings({ index: spec.index, settings: { 'index.gc_deletes': spec.gcDeletes } });
  return 'existing';
}
