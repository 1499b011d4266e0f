import type { Admin, ITopicConfig } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { retry } from '../retry.js';

/** A topic sluice needs, with how it must be created. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Compacted topics keep the last value per key forever (schemas, positions). */
  readonly compacted?: boolean;
  /** Topic max.message.bytes, for tables with large rows. */
  readonly maxMessageBytes?: number;
  /** Further topic configuration entries (cleanup.policy, retention.ms...); they win over `compacted`. */
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are) and waits for
 * their leaders. Returns the names it created.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((spec) => ({
    topic: spec.topic,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: Object.entries({
      ...(spec.compacted === true ? { 'cleanup.policy': 'compact' } : {}),
      ...(spec.maxMessageBytes === undefined ? {} : { 'max.message.bytes': String(spec.maxMessageBytes) }),
      ...spec.config,
    }).map(([name, value]) => ({ name, value })),
  }));
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // another process may have created them in between; anything else is real
    const nowExisting = new Set(await admin.listTopics());
    if (!missing.every((spec) => nowExisting.has(spec.topic))) throw error;
    // created by someone else just now: their leaders may not be elected yet
    await waitForLeaders(admin, missing.map((spec) => spec.topic));
  }
  return missing.map((spec) => spec.topic);
}

/**
 * Waits (up to `timeoutMs`) until every partition of `topics` has a leader, polling every 200 ms
 * with the shared retry helper. Leaders still missing after `timeoutMs` are left to the caller's
 * own retries (it returns); a metadata error still failing then, or a permanent one (an ACL), is
 * thrown.
 */
export async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const notYet = new SluiceError(`partitions of ${topics.join(', ')} without a leader yet`, { retriable: true });
  try {
    await retry(
      async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (!metadata.topics.every((topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0))) throw notYet;
      },
      { policy: { initialDelayMs: 200, maxDelayMs: 200, multiplier: 1, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: timeoutMs, jitter: 0 }, what: `waiting for the leaders of ${topics.join(', ')}` },
    );
  } catch (error) {
    if (error !== notYet) throw error;
  }
}
