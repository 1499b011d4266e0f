/**
 * What travels through the sink path (see src/operators/process-pages.ts): a page of one
 * partition's messages, decoded into changes, expanded into root ids, batched, built into
 * document operations and written. Every item is a page or a batch, never a single row.
 */
import type { SinkChangeEvent } from '../model/change-event.js';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import type { TriggerReference } from './dead-letters.js';
import type { DocumentOperation } from './writer.js';

/** One consumed message (structurally a kafkajs KafkaMessage). */
export interface PageMessage {
  readonly offset: string;
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
}

/** Consecutive messages of one partition, as the consumer hands them over. */
export interface ConsumedPage {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly PageMessage[];
  /** Commits the page's offsets (once every write of the page has settled). */
  commit(): Promise<void>;
}

/** A decoded change (what the sink reads of it) with the Kafka message it came from. */
export interface PageChange {
  readonly event: SinkChangeEvent;
  readonly trigger: TriggerReference;
}

/** A page whose messages are decoded (undecodable ones are already dead-lettered). */
export interface DecodedPage {
  readonly page: ConsumedPage;
  readonly changes: readonly PageChange[];
  /** Messages of the page that could not be decoded (dead-lettered). */
  readonly undecodable: number;
}

/** Root ids of one document found by expanding changes, each with the change it is attributed to. */
export interface RootIds {
  readonly descriptor: DocumentDescriptor;
  readonly ids: readonly string[];
  readonly triggerOf: (id: string) => TriggerReference;
}

/** Distinct root ids of one document to build together (at most the build batch size). */
export interface RootBatch {
  readonly descriptor: DocumentDescriptor;
  readonly ids: readonly string[];
  /** The change each id is attributed to (for the dead letter of its document). */
  readonly triggers: ReadonlyMap<string, TriggerReference>;
  /** Called once the batch's writes have settled (or failed): lets a barrier wait for it. */
  readonly done: () => void;
}

/** The operations of a built batch: index operations first, then deletes of vanished roots. */
export interface BuiltBatch {
  readonly batch: RootBatch;
  /** Each operation carries its trigger (the dead letter of a rejected one names it). */
  readonly operations: readonly DocumentOperation[];
  /** How many of `operations` (the first ones) index a document; the rest delete. */
  readonly indexed: number;
  /** Where a failure comes from, for messages (`documents.films of pipeline.yml (table ...)`). */
  readonly where: string;
}

/** Counters of written operations. */
export interface WriteCounts {
  readonly documents: number;
  readonly deletes: number;
  readonly superseded: number;
  readonly rejected: number;
}

/** Counters of a page. */
export interface PageResult extends WriteCounts {
  readonly changes: number;
}

/** No writes. */
export const NO_WRITES: WriteCounts = { documents: 0, deletes: 0, superseded: 0, rejected: 0 };

/** Adds two counts. */
export function addCounts(a: WriteCounts, b: WriteCounts): WriteCounts {
  return { documents: a.documents + b.documents, deletes: a.deletes + b.deletes, superseded: a.superseded + b.superseded, rejected: a.rejected + b.rejected };
}

/**
 * Batches handed to the builders and not yet written, across every page of a sink: a lookup of
 * remembered references waits for them (documents built before a change must be in the index
 * before the index is asked which documents embed the changed row), and the expansion of a page
 * waits for {@link room} before it hands over more ids, so a row that fans out to a million
 * documents holds `limit` batches of ids at a time, not a million.
 */
export class BatchesInFlight {
  private readonly pending = new Set<Promise<void>>();
  private roomWaiters: Array<() => void> = [];

  /** `limit`: the batches in flight at which {@link room} starts to wait (default: no limit). */
  constructor(readonly limit = Number.POSITIVE_INFINITY) {}

  /** Registers a batch; the returned function marks it written (idempotent). */
  begin(): () => void {
    let finish!: () => void;
    const written = new Promise<void>((resolve) => (finish = resolve));
    this.pending.add(written);
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.pending.delete(written);
      finish();
      if (this.pending.size < this.limit) this.wakeRoomWaiters();
    };
  }

  /** Resolves once every batch registered so far is written (later ones are not waited for). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Resolves once fewer than `limit` batches are in flight. */
  room(): Promise<void> {
    if (this.pending.size < this.limit) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
