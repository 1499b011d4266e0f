import type { Admin, Kafka } from 'kafkajs';
import { PageConsumer, type CommittablePage, type PageConsumerSettings } from '../streams/page-consumer.js';

/**
 * Backfill of a document added to a running pipeline (or whose index was deleted).
 *
 * The sink's consumer group has committed offsets on the change topics, so a document added to the
 * pipeline file later would only see rows that change from then on. When a document's index does
 * not exist yet and the sink's group already committed offsets, the sink first marks a backfill
 * as pending (it commits the beginning of every partition for the group
 * `<pipeline>.sink.backfill.<document>`; this happens before the index is created, so a crash in
 * between is repeated at the next start and never loses the backfill), then creates the index,
 * then reads the change topics from the beginning with that group up to their end at start
 * (later changes reach the document through the sink's own group), builds the document for every
 * row found, and deletes the group once done. A sink that restarts during a backfill resumes it
 * from the group's committed offsets. Change topics are compacted (kafka.topics.cleanupPolicy),
 * so the beginning still holds every row's last change, however old.
 */

/** The consumer group of a document's backfill. */
export function backfillGroupId(pipeline: string, document: string): string {
  return `${pipeline}.sink.backfill.${document}`;
}

/** True when `groupId` has a committed offset on any partition of `topics` (existing topics only). */
export async function hasCommittedOffsets(admin: Admin, groupId: string, topics: readonly string[]): Promise<boolean> {
  const existing = await existingTopics(admin, topics);
  if (existing.length === 0) return false;
  const offsets = await admin.fetchOffsets({ groupId, topics: existing });
  return offsets.some((topic) => topic.partitions.some((partition) => Number(partition.offset) >= 0));
}

/** Marks a backfill of `topics` as pending for `groupId`: commits the first retained offset of every partition. */
export async function markBackfillPending(admin: Admin, groupId: string, topics: readonly string[]): Promise<void> {
  for (const topic of await existingTopics(admin, topics)) {
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: offsets.map((partition) => ({ partition: partition.partition, offset: partition.low })) });
  }
}

async function existingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const all = new Set(await admin.listTopics());
  return topics.filter((topic) => all.has(topic));
}

/** Settings of {@link runBackfill}: its page consumer's, and the document it backfills. */
export interface BackfillSettings extends PageConsumerSettings {
  readonly document: string;
}

/**
 * Reads `topics` with the backfill group from its committed offsets up to the end offsets at the
 * start, handing each page to `handle` (offsets are committed when it calls the page's `commit()` or after it resolves), then deletes
 * the group. Resolves when done or when `signal` aborts (the group then stays: resumed next time).
 */
export async function runBackfill(kafka: Kafka, admin: Admin, settings: BackfillSettings, signal: AbortSignal, handle: (page: CommittablePage) => Promise<void>): Promise<void> {
  const { logger } = settings;
  const topics = await existingTopics(admin, settings.topics);
  const remaining = new Map<string, number>();
  const committed = new Map<string, number>();
  for (const topic of await admin.fetchOffsets({ groupId: settings.groupId, topics })) {
    for (const partition of topic.partitions) committed.set(`${topic.topic}:${partition.partition}`, Number(partition.offset));
  }
  for (const topic of topics) {
    for (const partition of await admin.fetchTopicOffsets(topic)) {
      const key = `${topic}:${partition.partition}`;
      const start = Math.max(committed.get(key) ?? -1, Number(partition.low));
      if (Number(partition.high) > start) remaining.set(key, Number(partition.high));
    }
  }
  logger.info({ document: settings.document, group: settings.groupId, partitions: remaining.size }, 'backfilling a document added to the pipeline: reading its change topics from the beginning');
  if (remaining.size > 0) {
    const done = new AbortController();
    const stop = (): void => done.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const consumer = new PageConsumer(kafka, { groupId: settings.groupId, topics, pageSize: settings.pageSize, partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently, fetch: settings.fetch, sessionTimeoutMs: settings.sessionTimeoutMs, retryPolicy: settings.retryPolicy, logger });
      await consumer.run(done.signal, async (page) => {
        const key = `${page.topic}:${page.partition}`;
        const end = remaining.get(key);
        const inRange = end === undefined ? [] : page.messages.filter((message) => Number(message.offset) < end);
        if (inRange.length > 0) await handle({ ...page, messages: inRange });
        const last = page.messages[page.messages.length - 1];
        if (end !== undefined && last !== undefined && Number(last.offset) + 1 >= end) remaining.delete(key);
        if (remaining.size === 0) done.abort();
      });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
  if (signal.aborted) return;
  await admin.deleteGroups([settings.groupId]).catch((error: unknown) => logger.warn({ err: error, group: settings.groupId }, 'could not delete the finished backfill group'));
  logger.info({ document: settings.document }, 'backfill done: the document has seen every row of its change topics');
}

/** A document of the pipeline, for the backfill checks. */
export interface BackfillCandidate {
  readonly document: string;
  readonly index: string;
  readonly topics: readonly string[];
}

/**
 * Before the document indexes are created: marks a backfill pending for every document whose
 * index does not exist while the sink's group (`sinkGroup`) already committed offsets on its
 * topics (on a first start the sink's group reads from the beginning anyway). Returns the
 * documents marked.
 */
export async function markBackfillsOfNewIndexes(admin: Admin, pipeline: string, sinkGroup: string, candidates: readonly BackfillCandidate[], indexExists: (index: string) => Promise<boolean>): Promise<string[]> {
  const marked: string[] = [];
  for (const candidate of candidates) {
    if (await indexExists(candidate.index)) continue;
    if (!(await hasCommittedOffsets(admin, sinkGroup, candidate.topics))) continue;
    await markBackfillPending(admin, backfillGroupId(pipeline, candidate.document), candidate.topics);
    marked.push(candidate.document);
  }
  return marked;
}

/** The documents whose backfill is pending (marked now or interrupted earlier). */
export async function pendingBackfills(admin: Admin, pipeline: string, candidates: readonly BackfillCandidate[]): Promise<BackfillCandidate[]> {
  const pending: BackfillCandidate[] = [];
  for (const candidate of candidates) if (await hasCommittedOffsets(admin, backfillGroupId(pipeline, candidate.document), candidate.topics)) pending.push(candidate);
  return pending;
}
