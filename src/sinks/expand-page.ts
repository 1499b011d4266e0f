import type { Pool } from 'mysql2/promise';
import { Observable } from 'rxjs';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import { concernsDescriptor, referencesToLookUp, rootIdsOfChanges, type RowChange } from '../descriptors/expand-change.js';
import { chunks, MAX_IN_LIST } from '../descriptors/sql.js';
import { SluiceError } from '../errors.js';
import type { TriggerReference } from './dead-letters.js';
import { retryForDocument, type DocumentRetrySettings } from './document-retry.js';
import type { DecodedPage, PageChange, RootIds } from './sink-page.js';
import type { ReferenceLookup } from './writer.js';

/** What {@link expandPage} works with. */
export interface ExpandPageSettings extends DocumentRetrySettings {
  readonly descriptors: readonly DocumentDescriptor[];
  /** Read connections for the lookups (current database state). */
  readonly pool: Pool;
  /** Ids per lookup page. */
  readonly buildBatchSize: number;
  /** Finds documents that embedded rows (`_sluice.refs`). */
  readonly lookupReferences: ReferenceLookup;
  /** Resolves once every document built so far is in the index (run before a reference lookup). */
  readonly beforeLookup: () => Promise<void>;
  /** Resolves once the builders can take more ids (backpressure: the expansion of a large fan-out never runs far ahead of the builds); none: no wait. */
  readonly roomForIds?: () => Promise<void>;
}

/**
 * The root ids a decoded page's changes affect, per document, as they are found: both row images,
 * link rows, and (after `beforeLookup`) the documents that embedded rows that vanished. Lookups
 * failing on a transient error are retried (ids may then come twice: batchRootIds skips them).
 * Each id is attributed to the change of its own root row when there is one, else to the page's
 * first change that concerns the document.
 */
export function expandPage(page: DecodedPage, settings: ExpandPageSettings): Observable<RootIds> {
  return new Observable<RootIds>((subscriber) => {
    const emit = async (ids: RootIds): Promise<void> => {
      await settings.roomForIds?.();
      // not retriable: an abandoned page (it failed elsewhere) stops its expansion at once
      if (subscriber.closed) throw new SluiceError('the page was abandoned', { retriable: false });
      subscriber.next(ids);
    };
    const rowChanges = page.changes.map(rowChangeOf);
    (async () => {
      for (const descriptor of settings.descriptors) {
        if (subscriber.closed) return;
        await expandForDescriptor(descriptor, rowChanges, settings, emit);
      }
    })().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
  });
}

interface TriggeredChange {
  readonly change: RowChange;
  readonly trigger: TriggerReference;
}

function rowChangeOf({ event, trigger }: PageChange): TriggeredChange {
  return { change: { db: event.source.db, table: event.source.table, op: event.op, before: event.before, after: event.after }, trigger };
}

async function expandForDescriptor(descriptor: DocumentDescriptor, rowChanges: readonly TriggeredChange[], settings: ExpandPageSettings, emit: (ids: RootIds) => Promise<void>): Promise<void> {
  const relevant = rowChanges.filter(({ change }) => concernsDescriptor(descriptor, change));
  const first = relevant[0];
  if (first === undefined) return;
  const rootTriggers = triggersOfRoots(descriptor, relevant);
  const triggerOf = (id: string): TriggerReference => rootTriggers.get(id) ?? first.trigger;
  const changes = relevant.map(({ change }) => change);
  await retryForDocument(settings, `expanding changes to ${descriptor.name} documents`, descriptor, async () => {
    for await (const ids of rootIdsOfChanges(descriptor, changes, { queries: settings.pool, pageSize: settings.buildBatchSize })) await emit({ descriptor, ids, triggerOf });
  });
  const references = [...new Set(changes.flatMap((change) => referencesToLookUp(descriptor, change)))];
  if (references.length === 0) return;
  // documents built before these changes must be in the index before it is asked
  await settings.beforeLookup();
  await retryForDocument(settings, `looking up ${descriptor.name} documents by remembered references`, descriptor, async () => {
    for (const chunk of chunks(references, MAX_IN_LIST)) {
      for await (const ids of settings.lookupReferences(descriptor.index, chunk)) await emit({ descriptor, ids, triggerOf: () => first.trigger });
    }
  });
}

/** The change of each root row of the document among `relevant` (its first one, by either image). */
function triggersOfRoots(descriptor: DocumentDescriptor, relevant: readonly TriggeredChange[]): Map<string, TriggerReference> {
  const triggers = new Map<string, TriggerReference>();
  for (const { change, trigger } of relevant) {
    if (change.db !== descriptor.root.table.db || change.table !== descriptor.root.table.table) continue;
    for (const image of [change.before, change.after]) {
      const id = image?.[descriptor.idColumn];
      if (id !== null && id !== undefined && !triggers.has(String(id))) triggers.set(String(id), trigger);
    }
  }
  return triggers;
}
