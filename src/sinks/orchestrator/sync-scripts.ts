import { BATCH_FIELD } from './channel.js';

/** The id of the stored Painless script that marks a document as seen by a batch. */
export const TOUCH_SCRIPT_ID = 'sluice-sync-touch';

/**
 * The content-hash upsert for a document whose hash the batch found unchanged: only
 * `batch_index_date` is set (so the sweep keeps it, and `last_updated` and the content stay).
 * When the document changed since it was read (another writer), it is only marked as seen: the
 * version order between writers is kept by the engine's external versions, never by this script.
 */
export const TOUCH_SCRIPT = `
if (ctx._source._sluice != null && ctx._source._sluice.hash == params.hash) {
  if (ctx._source.${BATCH_FIELD} == params.batch) { ctx.op = 'none'; } else { ctx._source.${BATCH_FIELD} = params.batch; }
} else {
  ctx._source.${BATCH_FIELD} = params.batch;
}`.trim();

/** The query of documents not touched by the batch started at `batchMs`. */
export function untouchedQuery(batchMs: number): Record<string, unknown> {
  return { bool: { must_not: [{ range: { [BATCH_FIELD]: { gte: batchMs } } }] } };
}
