import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Pool } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import type { SnapshotVersioning } from '../descriptors/snapshot-version.js';
import type { RetryPolicy } from '../retry.js';
import { buildBatch } from '../sinks/build-batch.js';
import type { SearchEngine } from '../sinks/engine/search-engine.js';
import { IndexLock, LockHeldError } from '../sinks/indexes/index-lock.js';
import { sweepMissingRoots } from '../sinks/orchestrator/missing-roots-sweep.js';
import { rootIdPages } from '../sinks/orchestrator/root-ids.js';
import type { DocumentWriter, WriteOutcome } from '../sinks/writer.js';
import { PositionStore } from '../streams/position-store.js';
import { hasCommittedOffsets } from './document-backfill.js';

/**
 * The first load of a new pipeline: every root built once from the database, then streaming.
 *
 * Without it, a new pipeline's sink consumes the capture's initial snapshot of every table and
 * rebuilds a root document for every snapshot row of every child table (a product with a
 * category, 2 tags and 2 reviews is built 6 times). The first load instead:
 *
 * 1. waits until the capture saved a position after a completed snapshot (the snapshot rows are
 *    in Kafka by then, so the offsets taken next are after them);
 * 2. takes the end offsets O0 of the change topics;
 * 3. builds every root id of each document from the database, in key pages, with the continuous
 *    sink's builder, versions (VersionClock) and writer (external versions, greater-or-equal
 *    wins), so a later streamed build is never refused by a first-load build and an older one
 *    never overwrites it;
 * 4. when the index already held documents (an interrupted first load, or an index filled by
 *    `sluice sync`), deletes the documents whose root row no longer exists (versioned deletes);
 * 5. once every write is acknowledged, commits O0 for the sink's consumer group; streaming then
 *    starts from O0.
 *
 * Every change before O0 was committed in the database before step 3 read it, so skipping it
 * loses nothing; changes after O0 are applied again, which is idempotent. A stop or a crash before
 * step 5 leaves the group without offsets, so the next start does the first load again (step 4
 * removes what the earlier attempt wrote for rows deleted since). One process at a time does it
 * (a lock in the engine, taken over when its holder dies); others wait and then find the offsets.
 */

/** Settings of {@link runFirstLoad}. */
export interface FirstLoadSettings {
  readonly pipeline: string;
  /** The sink's consumer group. */
  readonly group: string;
  /** The documents, each with the change topics of the tables it reads. */
  readonly documents: ReadonlyArray<{ readonly descriptor: DocumentDescriptor; readonly topics: readonly string[] }>;
  /** Where the capture saves its position, and its source id: the first load waits for a completed snapshot there. */
  readonly capture?: { readonly positionTopic: string; readonly sourceId: string };
  readonly pool: Pool;
  readonly engine: SearchEngine;
  readonly writer: DocumentWriter;
  readonly versioning: SnapshotVersioning;
  readonly buildBatchSize: number;
  readonly buildConcurrency: number;
  readonly retryPolicy: RetryPolicy;
  readonly file: string;
  readonly logger: Logger;
  /** Called once per settled operation of the first load (counters, metrics). */
  readonly onWritten?: (document: string, outcome: WriteOutcome, kind: 'index' | 'delete') => void;
}

/** What a first load did. */
export interface FirstLoadReport {
  /** The documents loaded (empty: no first load was needed). */
  readonly documents: readonly string[];
  readonly roots: number;
  readonly indexed: number;
  readonly deleted: number;
  readonly durationMs: number;
}

const NOTHING: FirstLoadReport = { documents: [], roots: 0, indexed: 0, deleted: 0, durationMs: 0 };

/** The lock resource of a pipeline's first load. */
export function firstLoadLock(pipeline: string): string {
  return `first-load:${pipeline}`;
}

/** The documents that need a first load: the sink's group has no committed offset on any of their topics. */
export async function documentsToLoad(admin: Admin, settings: Pick<FirstLoadSettings, 'group' | 'documents'>): Promise<FirstLoadSettings['documents']> {
  const needed: Array<FirstLoadSettings['documents'][number]> = [];
  for (const document of settings.documents) if (!(await hasCommittedOffsets(admin, settings.group, document.topics))) needed.push(document);
  return needed;
}

/** Runs the first load (see the module comment) of the documents that need one; resolves at once when none does. */
export async function runFirstLoad(kafka: Kafka, admin: Admin, settings: FirstLoadSettings, signal: AbortSignal): Promise<FirstLoadReport> {
  if ((await documentsToLoad(admin, settings)).length === 0) return NOTHING;
  const lock = await acquireLock(settings, signal);
  const stop = AbortSignal.any([signal, lock.signal]);
  try {
    // another process may have done it while this one waited for the lock
    const loading = await documentsToLoad(admin, settings);
    if (loading.length === 0) return NOTHING;
    return await loadDocuments(kafka, admin, settings, loading, stop);
  } finally {
    await lock.release().catch((error: unknown) => settings.logger.warn({ err: error }, 'releasing the first-load lock failed (it expires by itself)'));
  }
}

async function acquireLock(settings: FirstLoadSettings, signal: AbortSignal): Promise<IndexLock> {
  for (let waited = 0; ; waited += 1) {
    signal.throwIfAborted();
    try {
      return await IndexLock.acquire(settings.engine, firstLoadLock(settings.pipeline), { waitMs: 5_000, ttlMs: 15_000 });
    } catch (error) {
      if (!(error instanceof LockHeldError)) throw error;
      if (waited % 6 === 0) settings.logger.info({ owner: error.owner }, 'another sink process is doing the first load: waiting for it');
    }
  }
}

async function loadDocuments(kafka: Kafka, admin: Admin, settings: FirstLoadSettings, loading: FirstLoadSettings['documents'], signal: AbortSignal): Promise<FirstLoadReport> {
  const { logger } = settings;
  const startedMs = Date.now();
  if (settings.capture !== undefined) await waitForCompletedSnapshot(kafka, settings.capture, logger, signal);
  const topics = [...new Set(loading.flatMap((document) => document.topics))].sort();
  const start = await endOffsets(admin, topics);
  logger.info({ documents: loading.map((document) => document.descriptor.name), topics: topics.length }, 'first load: building every root from the database once, then streaming from the offsets taken now');
  let roots = 0;
  let indexed = 0;
  let deleted = 0;
  for (const { descriptor } of loading) {
    const existing = await documentCount(settings.engine, descriptor.index);
    const loaded = await loadDocument(settings, descriptor, signal);
    roots += loaded.roots;
    indexed += loaded.indexed;
    deleted += loaded.deleted;
    if (existing > 0) {
      // documents an earlier, interrupted first load wrote for rows deleted since (their deletes are before O0)
      const swept = await sweepMissingRoots(settings.engine, settings.pool, settings.writer, descriptor, { versioning: settings.versioning });
      deleted += swept.deleted;
      logger.info({ document: descriptor.name, ...swept }, 'first load: documents of deleted rows removed from the existing index');
    }
    logger.info({ document: descriptor.name, roots: loaded.roots, indexed: loaded.indexed }, 'first load of a document done');
  }
  await settings.writer.flush();
  signal.throwIfAborted();
  await commitStart(kafka, admin, settings, loading, start);
  const report: FirstLoadReport = { documents: loading.map((document) => document.descriptor.name), roots, indexed, deleted, durationMs: Date.now() - startedMs };
  logger.info(report, 'first load done: streaming from its start offsets');
  return report;
}

/** Builds and writes every root of `descriptor`, `buildConcurrency` build batches at once; resolves once every write settled. */
async function loadDocument(settings: FirstLoadSettings, descriptor: DocumentDescriptor, signal: AbortSignal): Promise<{ roots: number; indexed: number; deleted: number }> {
  let roots = 0;
  let indexed = 0;
  let deleted = 0;
  const building = new Set<Promise<void>>();
  const settling = new Set<Promise<void>>();
  let failure: Error | undefined;
  const track = (set: Set<Promise<void>>, work: Promise<void>): void => {
    const tracked = work.catch((error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    });
    set.add(tracked);
    void tracked.finally(() => set.delete(tracked));
  };
  const buildSettings = { retryPolicy: settings.retryPolicy, file: settings.file, logger: settings.logger, signal, pool: settings.pool, versioning: settings.versioning };
  try {
    for await (const ids of rootIdPages(settings.pool, descriptor, settings.buildBatchSize)) {
      signal.throwIfAborted();
      if (failure !== undefined) break;
      roots += ids.length;
      track(
        building,
        (async () => {
          const built = await buildBatch({ descriptor, ids, triggers: new Map(), done: () => undefined }, buildSettings);
          const writes: Array<Promise<void>> = [];
          for (const operation of built.operations) {
            await settings.writer.waitForCapacity();
            writes.push(
              settings.writer.write(operation).then((outcome) => {
                if (outcome.status === 'acknowledged') {
                  if (operation.kind === 'index') indexed += 1;
                  else deleted += 1;
                }
                settings.onWritten?.(descriptor.name, outcome, operation.kind);
              }),
            );
          }
          track(settling, Promise.all(writes).then(() => undefined));
        })(),
      );
      while (building.size >= settings.buildConcurrency) await Promise.race(building);
    }
    await Promise.all(building);
    await settings.writer.flush();
  } finally {
    // a stop or a failure returns only once the batches already started have settled (the bulk
    // channel's age timer sends what they queued), so no write of this load lands after it
    await Promise.all(building);
    await Promise.all(settling);
  }
  if (failure !== undefined) throw failure;
  signal.throwIfAborted();
  return { roots, indexed, deleted };
}

/** Documents in `index` now (0 when it does not exist). */
async function documentCount(engine: SearchEngine, index: string): Promise<number> {
  if (!(await engine.indexExists(index))) return 0;
  await engine.refresh(index);
  return engine.count(index);
}

/** Waits until the capture saved a position after a completed snapshot (its snapshot rows are in Kafka then). */
export async function waitForCompletedSnapshot(kafka: Kafka, capture: NonNullable<FirstLoadSettings['capture']>, logger: Logger, signal: AbortSignal): Promise<void> {
  const store = new PositionStore<{ readonly snapshotCompleted?: boolean }>(kafka, capture.positionTopic);
  const startedMs = Date.now();
  let loggedMs = 0;
  for (;;) {
    signal.throwIfAborted();
    const saved = await store.load(capture.sourceId).catch(() => undefined);
    if (saved !== undefined && saved.snapshotCompleted !== false) return;
    if (Date.now() - loggedMs >= 30_000) {
      loggedMs = Date.now();
      logger.info({ waitedMs: loggedMs - startedMs }, 'first load: waiting for the capture to complete its snapshot (sink.firstLoad: false streams the snapshot instead)');
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
}

/** The end offset of every partition of `topics` (offsets of messages produced later are at or above them). */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, Array<{ partition: number; offset: string }>>> {
  const offsets = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const topic of topics) offsets.set(topic, (await admin.fetchTopicOffsets(topic)).map((entry) => ({ partition: entry.partition, offset: entry.high })));
  return offsets;
}

/**
 * Commits the first load's start offsets for the sink's group on every topic read only by loaded
 * documents (a topic another document reads from the beginning keeps no offset: that document
 * still needs its earlier changes). Topics the group already has an offset on (another process
 * committed first) are left alone.
 */
async function commitStart(kafka: Kafka, admin: Admin, settings: FirstLoadSettings, loading: FirstLoadSettings['documents'], start: ReadonlyMap<string, ReadonlyArray<{ partition: number; offset: string }>>): Promise<void> {
  const loaded = new Set(loading.map((document) => document.descriptor.name));
  const streamedFromBeginning = new Set(settings.documents.filter((document) => !loaded.has(document.descriptor.name)).flatMap((document) => document.topics));
  const wanted = new Map<string, ReadonlyArray<{ partition: number; offset: string }>>();
  for (const [topic, partitions] of start) {
    if (streamedFromBeginning.has(topic) || (await hasCommittedOffsets(admin, settings.group, [topic]))) continue;
    wanted.set(topic, partitions);
  }
  if (wanted.size === 0) return;
  // one group join for every topic (admin.setOffsets joins the group once per topic, seconds each)
  await seekAndCommit(kafka, settings.group, wanted).catch((error: unknown) => settings.logger.warn({ err: error }, 'committing the start offsets in one go failed; committing them topic by topic'));
  for (const [topic, partitions] of wanted) {
    if (await hasCommittedOffsets(admin, settings.group, [topic])) continue;
    try {
      await admin.setOffsets({ groupId: settings.group, topic, partitions: [...partitions] });
    } catch (error) {
      // a group with running members refuses: another process committed and started streaming
      if (!(await hasCommittedOffsets(admin, settings.group, [topic]))) throw error;
    }
  }
}

/**
 * What kafkajs's admin.setOffsets does for one topic, for several: a member of an empty group
 * subscribes to the topics, pauses them, seeks every partition and leaves after its first fetch,
 * which commits the offsets sought. Refuses a group with running members.
 */
const SEEK_TIMEOUT_MS = 60_000;

async function seekAndCommit(kafka: Kafka, groupId: string, offsets: ReadonlyMap<string, ReadonlyArray<{ partition: number; offset: string }>>): Promise<void> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    const topics = [...offsets.keys()];
    await consumer.subscribe({ topics, fromBeginning: true });
    const description = await consumer.describeGroup();
    if (!['Empty', 'Dead'].includes(description.state)) throw new Error(`the consumer group ${groupId} has running members (${description.state})`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no fetch within ${SEEK_TIMEOUT_MS} ms`)), SEEK_TIMEOUT_MS);
      consumer.on(consumer.events.FETCH, () => {
        clearTimeout(timer);
        consumer.stop().then(resolve, reject);
      });
      consumer.run({ eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() }).catch(reject);
      consumer.pause(topics.map((topic) => ({ topic })));
      for (const [topic, partitions] of offsets) for (const { partition, offset } of partitions) consumer.seek({ topic, partition, offset });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
