import { Observable, type OperatorFunction } from 'rxjs';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import type { TriggerReference } from '../sinks/dead-letters.js';
import type { RootBatch, RootIds } from '../sinks/sink-page.js';

/** Options of {@link batchRootIds}. */
export interface BatchRootIdsOptions {
  /** Ids per batch at most (the build batch size). */
  readonly size: number;
  /** Distinct ids remembered per subscription to skip duplicates; beyond it an id may be batched twice, a rebuild that changes nothing (default 50,000: a fan-out to a million roots remembers a few MiB of ids, not tens). */
  readonly maxDistinctIds?: number;
  /** Called for every batch emitted; returns the batch's `done` (see BatchesInFlight). */
  readonly track?: () => () => void;
}

interface OpenBatch {
  ids: string[];
  triggers: Map<string, TriggerReference>;
}

const untracked = (): (() => void) => () => undefined;

/**
 * Gathers root ids into batches of distinct ids per document: a batch is emitted as soon as it
 * holds `size` ids, the partial ones when the source completes (the end of a page), in the order
 * their documents first appeared. An id seen before (in this subscription) is skipped; each id
 * keeps the trigger of its first occurrence.
 */
export function batchRootIds(options: BatchRootIdsOptions): OperatorFunction<RootIds, RootBatch> {
  const maxDistinct = options.maxDistinctIds ?? 50_000;
  const track = options.track ?? untracked;
  return (source) =>
    new Observable<RootBatch>((subscriber) => {
      const seen = new Map<DocumentDescriptor, Set<string>>();
      const open = new Map<DocumentDescriptor, OpenBatch>();
      const emit = (descriptor: DocumentDescriptor, batch: OpenBatch): void => subscriber.next({ descriptor, ids: batch.ids, triggers: batch.triggers, done: track() });
      return source.subscribe({
        next: ({ descriptor, ids, triggerOf }) => {
          let known = seen.get(descriptor);
          if (known === undefined) seen.set(descriptor, (known = new Set()));
          let batch = open.get(descriptor);
          if (batch === undefined) open.set(descriptor, (batch = { ids: [], triggers: new Map() }));
          for (const id of ids) {
            if (known.has(id)) continue;
            if (known.size < maxDistinct) known.add(id);
            batch.ids.push(id);
            batch.triggers.set(id, triggerOf(id));
            if (batch.ids.length >= options.size) {
              emit(descriptor, batch);
              open.set(descriptor, (batch = { ids: [], triggers: new Map() }));
            }
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          for (const [descriptor, batch] of open) if (batch.ids.length > 0) emit(descriptor, batch);
          open.clear();
          subscriber.complete();
        },
      });
    });
}
