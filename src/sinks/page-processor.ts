import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import { buildDocuments, type BuiltPage } from '../descriptors/build-documents.js';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import { concernsDescriptor, referencesToLookUp, rootIdsOfChanges, type RowChange } from '../descriptors/expand-change.js';
import type { SnapshotVersioning } from '../descriptors/snapshot-version.js';
import { chunks, MAX_IN_LIST } from '../descriptors/sql.js';
import { describeError } from '../errors.js';
import { explainPermanent, retry, type RetryPolicy } from '../retry.js';
import type { ChangeEvent } from '../model/change-event.js';
import type { TriggerReference } from './dead-letters.js';
import type { DocumentOperation as BulkOperation, DocumentWriter, ReferenceLookup, WriteOutcome as BulkOutcome } from './writer.js';

/** A decoded change with the Kafka message it came from. */
export interface PageChange {
  readonly event: ChangeEvent;
  readonly trigger: TriggerReference;
}

/** Counters of a page. */
export interface PageResult {
  readonly changes: number;
  readonly documents: number;
  readonly deletes: number;
  readonly superseded: number;
  readonly rejected: number;
}

/** What a {@link PageProcessor} works with. */
export interface PageProcessorSettings {
  readonly descriptors: readonly DocumentDescriptor[];
  /** Read connections for lookups and builds (REPEATABLE READ snapshots, exact values). */
  readonly pool: Pool;
  /** Where documents go (the bulk channel, or any DocumentWriter). */
  readonly channel: DocumentWriter;
  /** Finds documents that embedded rows (`_sluice.refs`), after every write so far is acknowledged. */
  readonly lookupReferences: ReferenceLookup;
  readonly buildBatchSize: number;
  /** Root ids remembered per page to skip duplicates; beyond it a document may be rebuilt twice. */
  readonly maxDistinctIdsPerPage?: number;
  /** Builds of a page running at once. */
  readonly buildConcurrency?: number;
  readonly retryPolicy: RetryPolicy;
  /** The pipeline file, to say where a permanent failure comes from. */
  readonly file?: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Versions that survive a binlog reset (the VersionClock); without it, the bare coordinate. */
  readonly versioning?: SnapshotVersioning;
}

/**
 * Turns a page of changes into Elasticsearch writes: expands each change to the root ids it
 * affects (before and after images, link rows, remembered references for rows that vanished),
 * builds those documents in batches from one consistent snapshot each, and writes them with the
 * snapshot's version (external versioning: an older build never overwrites a newer one).
 * `process` resolves once every write of the page is acknowledged, superseded or dead-lettered:
 * only then may the page's offsets be committed.
 */
export class PageProcessor {
  private readonly inflight = new Set<Promise<unknown>>();
  /** The change that caused each operation in flight (for its dead letter), forgotten with the operation. */
  private readonly triggers = new WeakMap<BulkOperation, TriggerReference>();

  constructor(private readonly settings: PageProcessorSettings) {}

  /** The change that caused a write of this processor (for a dead letter), while the write is in flight. */
  triggerOf(operation: BulkOperation): TriggerReference | undefined {
    return this.triggers.get(operation);
  }

  /** Processes one page; resolves when all its documents are settled in Elasticsearch. */
  async process(changes: readonly PageChange[]): Promise<PageResult> {
    const counters = { changes: changes.length, documents: 0, deletes: 0, superseded: 0, rejected: 0 };
    const batches = new Map<DocumentDescriptor, { ids: string[]; triggers: Map<string, TriggerReference> }>();
    const seen = new Map<DocumentDescriptor, Set<string>>();
    const tasks: Array<Promise<void>> = [];
    const maxDistinct = this.settings.maxDistinctIdsPerPage ?? 200_000;
    const buildSlots = new Slots(this.settings.buildConcurrency ?? 2);

    const launch = async (descriptor: DocumentDescriptor, ids: string[], triggers: Map<string, TriggerReference>): Promise<void> => {
      await buildSlots.acquire();
      const task = this.buildAndWrite(descriptor, ids, triggers, counters).finally(() => buildSlots.release());
      this.track(task);
      tasks.push(task);
    };
    const add = async (descriptor: DocumentDescriptor, ids: readonly string[], triggerOf: (id: string) => TriggerReference): Promise<void> => {
      let known = seen.get(descriptor);
      if (known === undefined) seen.set(descriptor, (known = new Set()));
      let batch = batches.get(descriptor);
      if (batch === undefined) batches.set(descriptor, (batch = { ids: [], triggers: new Map() }));
      for (const id of ids) {
        if (known.has(id)) continue;
        if (known.size < maxDistinct) known.add(id);
        batch.ids.push(id);
        batch.triggers.set(id, triggerOf(id));
        if (batch.ids.length >= this.settings.buildBatchSize) {
          await launch(descriptor, batch.ids, batch.triggers);
          batch = { ids: [], triggers: new Map() };
          batches.set(descriptor, batch);
        }
      }
    };

    try {
      const rowChanges = changes.map(({ event, trigger }) => ({
        change: { db: event.source.db, table: event.source.table, op: event.op, before: event.before, after: event.after } satisfies RowChange,
        trigger,
      }));
      for (const descriptor of this.settings.descriptors) {
        const relevant = rowChanges.filter(({ change }) => concernsDescriptor(descriptor, change));
        const first = relevant[0];
        if (first === undefined) continue;
        // a document is attributed to the change of its own root row when there is one, else to the page's first relevant change
        const rootTriggers = new Map<string, TriggerReference>();
        for (const { change, trigger } of relevant) {
          if (change.db !== descriptor.root.table.db || change.table !== descriptor.root.table.table) continue;
          for (const image of [change.before, change.after]) {
            const id = image?.[descriptor.idColumn];
            if (id !== null && id !== undefined && !rootTriggers.has(String(id))) rootTriggers.set(String(id), trigger);
          }
        }
        const triggerOf = (id: string): TriggerReference => rootTriggers.get(id) ?? first.trigger;
        const batch = relevant.map(({ change }) => change);
        await this.withRetry(`expanding changes to ${descriptor.name} documents`, descriptor, async () => {
          for await (const ids of rootIdsOfChanges(descriptor, batch, { queries: this.settings.pool, pageSize: this.settings.buildBatchSize })) await add(descriptor, ids, triggerOf);
        });
        const references = [...new Set(batch.flatMap((change) => referencesToLookUp(descriptor, change)))];
        if (references.length > 0) {
          // documents built before these changes must be in the index before it is asked
          await Promise.allSettled([...this.inflight]);
          await this.settings.channel.flush();
          await this.withRetry(`looking up ${descriptor.name} documents by remembered references`, descriptor, async () => {
            for (const chunk of chunks(references, MAX_IN_LIST)) {
              for await (const ids of this.settings.lookupReferences(descriptor.index, chunk)) await add(descriptor, ids, () => first.trigger);
            }
          });
        }
      }
      for (const [descriptor, batch] of batches) if (batch.ids.length > 0) await launch(descriptor, batch.ids, batch.triggers);
    } finally {
      await Promise.allSettled(tasks);
    }
    await Promise.all(tasks);
    return counters;
  }

  private track(task: Promise<unknown>): void {
    const tracked = task.catch(() => undefined).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private async buildAndWrite(descriptor: DocumentDescriptor, ids: readonly string[], triggers: ReadonlyMap<string, TriggerReference>, counters: { documents: number; deletes: number; superseded: number; rejected: number }): Promise<void> {
    const page = await this.withRetry(`building ${descriptor.name} documents`, descriptor, () => this.build(descriptor, ids));
    const channel = this.settings.channel;
    const writes: Array<Promise<BulkOutcome>> = [];
    const write = async (operation: BulkOperation, trigger: TriggerReference | undefined): Promise<void> => {
      if (trigger !== undefined) this.triggers.set(operation, trigger);
      await channel.waitForCapacity();
      writes.push(channel.write(operation));
    };
    for (const document of page.documents) {
      await write({ kind: 'index', index: descriptor.index, id: document.id, document: document.source, json: document.json, version: page.version }, triggers.get(document.id));
    }
    for (const id of page.missing) await write({ kind: 'delete', index: descriptor.index, id, version: page.version }, triggers.get(id));
    // a write Elasticsearch refuses for good (401/403) stops the sink, saying which document
    const outcomes = await Promise.all(writes).catch((error: unknown) => {
      throw explainPermanent(error, { what: `writing ${descriptor.name} documents to ${descriptor.index}`, where: this.where(descriptor) });
    });
    for (const [position, outcome] of outcomes.entries()) {
      if (outcome.status === 'superseded') counters.superseded += 1;
      else if (outcome.status === 'rejected') counters.rejected += 1;
      else if (position < page.documents.length) counters.documents += 1;
      else counters.deletes += 1;
    }
  }

  private async build(descriptor: DocumentDescriptor, ids: readonly string[]): Promise<BuiltPage> {
    const connection = await this.settings.pool.getConnection();
    let healthy = false;
    try {
      const page = await buildDocuments(connection, descriptor, ids, this.settings.versioning);
      healthy = true;
      return page;
    } finally {
      // a failed build may leave its transaction open or its connection broken: never reuse it
      if (healthy) connection.release();
      else connection.destroy();
    }
  }

  /** Where a document's failure comes from, for messages: its key in the pipeline file and its root table. */
  private where(descriptor: DocumentDescriptor): string {
    const file = this.settings.file;
    return `documents.${descriptor.name}${file === undefined ? '' : ` of ${file}`} (table ${descriptor.root.table.db}.${descriptor.root.table.table})`;
  }

  /** Retries transient failures; a permanent one (a dropped column...) rejects with a PermanentError naming the document. */
  private withRetry<T>(what: string, descriptor: DocumentDescriptor, operation: () => Promise<T>): Promise<T> {
    return retry(() => operation(), {
      policy: this.settings.retryPolicy,
      what,
      where: this.where(descriptor),
      ...(this.settings.signal === undefined ? {} : { signal: this.settings.signal }),
      onRetry: (error, attempt, delayMs) => this.settings.logger.warn({ attempt, delayMs, error: describeError(error) }, `${what} failed; retrying`),
    });
  }
}

/** A counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free += 1;
    else next();
  }
}
