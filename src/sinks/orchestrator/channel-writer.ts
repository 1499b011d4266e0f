import type { BuiltDocument } from '../../descriptors/build-documents.js';
import { SluiceError } from '../../errors.js';
import { DEFAULT_RETRY_POLICY, retry } from '../../retry.js';
import type { SearchEngine } from '../engine/search-engine.js';
import { bulkBody, serializeSizedOperation, type SizedLines } from '../elasticsearch/bulk-response.js';
import { BATCH_FIELD, LAST_UPDATED_FIELD } from './channel.js';
import { TOUCH_SCRIPT_ID } from './sync-scripts.js';

/** What one write of a page into one index did. */
export interface WriteCounts {
  /** New or changed documents written (replaced, `last_updated` set). */
  written: number;
  /** Documents whose content hash was unchanged (only `batch_index_date` set). */
  unchanged: number;
  /** Documents the index already held from a newer snapshot (kept as they are). */
  superseded: number;
}

/** What {@link syncDocumentBody} writes in place of a document's last `}}`: `_sluice.version`, then `batch_index_date` and `last_updated` (the same for a whole page). */
export function syncSuffix(version: number, batchMs: number): Buffer {
  return Buffer.from(`,"version":${version}},"${BATCH_FIELD}":${batchMs},"${LAST_UPDATED_FIELD}":${batchMs}}`);
}

const CLOSING_BRACE = 0x7d;

/**
 * A built document's bytes with `suffix` ({@link syncSuffix}) in place of its last two bytes, the
 * ends of `_sluice` and of the document (whose last property `_sluice` is): one copy of the bytes,
 * no text made.
 */
export function syncDocumentBody(document: BuiltDocument, suffix: Uint8Array): Buffer {
  const { body } = document;
  const end = body.length - 2;
  if (end < 0 || body[end] !== CLOSING_BRACE || body[end + 1] !== CLOSING_BRACE) throw new SluiceError(`document ${document.id} does not end with its _sluice object`);
  const synced = Buffer.allocUnsafe(end + suffix.length);
  body.copy(synced, 0, 0, end);
  synced.set(suffix, end);
  return synced;
}

/** The two lines of an update of `id` by the stored touch script: only `batch_index_date` is set. */
function touchLines(index: string, id: string, hash: string, batchMs: number): SizedLines {
  const action = JSON.stringify({ update: { _index: index, _id: id, retry_on_conflict: 5 } });
  const source = JSON.stringify({ script: { id: TOUCH_SCRIPT_ID, params: { hash, batch: batchMs } } });
  return { action, source, bytes: Buffer.byteLength(action) + Buffer.byteLength(source) + 2 };
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Writes one page of documents built at snapshot `version` into `index`:
 * - the stored hashes are read first (one ids query; skipped for a fresh index);
 * - an unchanged document gets the stored touch script (only `batch_index_date`);
 * - a new or changed document is indexed whole with `version_type: external_gte` and the
 *   snapshot version, the same version order the continuous sink uses: an older build never
 *   overwrites a newer one, whichever of the two writers made it (409: superseded).
 * Retryable failures (429, 5xx) are retried; any other item failure throws.
 */
export async function writePage(
  engine: SearchEngine,
  index: string,
  documents: readonly BuiltDocument[],
  options: { readonly version: number; readonly batchMs: number; readonly fresh: boolean; readonly signal?: AbortSignal },
): Promise<WriteCounts> {
  const counts: WriteCounts = { written: 0, unchanged: 0, superseded: 0 };
  if (documents.length === 0) return counts;
  const stored = options.fresh ? new Map<string, string>() : await storedHashes(engine, index, documents.map((document) => document.id));
  const unchanged = (document: BuiltDocument): boolean => stored.get(document.id) === document.hash;
  let pending = [...documents];
  const suffix = syncSuffix(options.version, options.batchMs);
  await retry(
    async () => {
      const parts: SizedLines[] = pending.map((document) =>
        unchanged(document) ? touchLines(index, document.id, document.hash, options.batchMs) : serializeSizedOperation({ kind: 'index', index, id: document.id, version: options.version, json: syncDocumentBody(document, suffix) }),
      );
      const result = await engine.bulk(bulkBody(parts), options.signal === undefined ? {} : { signal: options.signal });
      const again: BuiltDocument[] = [];
      for (const [position, item] of result.items.entries()) {
        const document = pending[position];
        if (document === undefined) continue;
        const touched = unchanged(document);
        if (item.status < 300) {
          if (touched) counts.unchanged += 1;
          else counts.written += 1;
        } else if (item.status === 409 && !touched) {
          counts.superseded += 1;
        } else if (RETRYABLE_STATUSES.has(item.status)) {
          again.push(document);
        } else {
          throw new SluiceError(`the engine refused document ${document.id} in ${index}: ${item.error?.type ?? item.status}: ${item.error?.reason ?? ''}`, {
            context: { index, id: document.id, status: item.status },
          });
        }
      }
      pending = again;
      if (again.length > 0) throw new SluiceError(`${again.length} documents of a sync page were refused for now; retrying`, { retriable: true, context: { index } });
    },
    { policy: DEFAULT_RETRY_POLICY, what: `writing a sync page to ${index}`, ...(options.signal === undefined ? {} : { signal: options.signal }) },
  );
  return counts;
}

/** The content hash of each of `ids` that `index` holds (real time: an ids query after a refresh is not needed for hashes read by get). */
async function storedHashes(engine: SearchEngine, index: string, ids: readonly string[]): Promise<Map<string, string>> {
  const result = await engine.search<{ _sluice?: { hash?: string } }>({ index, query: { ids: { values: [...ids] } }, size: ids.length, _source: ['_sluice.hash'] });
  const hashes = new Map<string, string>();
  for (const hit of result.hits) {
    const hash = hit._source?._sluice?.hash;
    if (hash !== undefined) hashes.set(hit._id, hash);
  }
  return hashes;
}
