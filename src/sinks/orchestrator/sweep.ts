import { SluiceError } from '../../errors.js';
import type { SearchEngine } from '../engine/search-engine.js';
import { serializeOperation } from '../elasticsearch/bulk-response.js';
import { untouchedQuery } from './sync-scripts.js';

/** What a sweep did. */
export interface SweepResult {
  /** Ids deleted from the swept index. */
  readonly deleted: readonly string[];
  /** Untouched documents kept because a writer stored a version at or above the batch's start. */
  readonly kept: number;
}

/**
 * Deletes from `index` the documents the batch started at `batchMs` did not touch, unless their
 * version is at or above `fromVersion` (the version at which the batch started): a point-in-time
 * scan of the untouched ids, then bulk deletes with `version_type: external_gte` and version
 * `fromVersion - 1`, which the engine applies only when the stored version is below `fromVersion`
 * (409 otherwise: the continuous sink wrote it from a newer snapshot, it stays). The tombstone
 * keeps that version, so an older build arriving later cannot bring the document back.
 *
 * (`_update_by_query` scripts cannot do this: they see `ctx._version` as -1.) `also` names other
 * indexes (the secondary in reindex mode) from which the same ids are deleted the same way.
 * `rootsExisting` (the database, asked now) keeps every document whose root still exists: a
 * document can look untouched although its root exists, when another writer replaced it after
 * the batch touched it (the continuous sink writes no `batch_index_date`), or another sync
 * touched it with its own batch timestamp.
 */
export async function sweepUntouched(
  engine: SearchEngine,
  index: string,
  options: { readonly batchMs: number; readonly fromVersion: number; readonly also?: readonly string[]; readonly rootsExisting?: (ids: readonly string[]) => Promise<ReadonlySet<string>> },
): Promise<SweepResult & { readonly alsoDeleted: number }> {
  const deleted: string[] = [];
  let kept = 0;
  let alsoDeleted = 0;
  const version = Math.max(options.fromVersion - 1, 0);
  const remove = async (target: string, ids: readonly string[]): Promise<Array<{ id: string; status: number }>> => {
    if (ids.length === 0) return [];
    const result = await engine.bulk(ids.map((id) => serializeOperation({ kind: 'delete', index: target, id, version })).join(''));
    return result.items.map((item, position) => {
      if (item.status >= 300 && item.status !== 404 && item.status !== 409) {
        throw new SluiceError(`the sweep could not delete ${ids[position] ?? '?'} from ${target}: ${item.error?.type ?? item.status} ${item.error?.reason ?? ''}`, {
          retriable: item.status === 429 || item.status >= 500,
          context: { index: target, status: item.status },
        });
      }
      return { id: ids[position] ?? '', status: item.status };
    });
  };
  for await (const hits of engine.scan(index, { query: untouchedQuery(options.batchMs), pageSize: 1000, _source: false })) {
    const candidates = hits.map((hit) => hit._id);
    const existing = options.rootsExisting === undefined ? new Set<string>() : await options.rootsExisting(candidates);
    const results = await remove(index, candidates.filter((id) => !existing.has(id)));
    const gone = results.filter((result) => result.status < 300).map((result) => result.id);
    kept += existing.size + results.filter((result) => result.status === 409).length;
    deleted.push(...gone);
    for (const other of options.also ?? []) alsoDeleted += (await remove(other, gone)).filter((result) => result.status < 300).length;
  }
  return { deleted, kept, alsoDeleted };
}
