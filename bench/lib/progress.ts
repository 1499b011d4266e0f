/**
 * Watching sluice processes from the outside, without touching them: how many messages the
 * change topics hold (capture progress), how far the sink's consumer group has committed (a page
 * is committed only after the search engine acknowledged all its documents) and how many index
 * operations an index has applied.
 */
import type { IndexWork, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import type { Admin, Kafka } from 'kafkajs';
import { now, sleep } from './services.js';

/** A Kafka admin client for offset queries. */
export class KafkaWatch {
  private readonly admin: Admin;
  private readonly lastMessages = new Map<string, number>();
  private readonly lastCommitted = new Map<string, number>();

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  /**
   * The sum of the high watermarks of the topics' partitions (0 for a topic that does not exist
   * yet). A topic just created may have no leader for a moment: the last answer is kept then.
   */
  async messages(topics: readonly string[]): Promise<number> {
    const key = topics.join(',');
    try {
      let total = 0;
      const existing = new Set(await this.admin.listTopics());
      for (const topic of topics) {
        if (!existing.has(topic)) continue;
        for (const partition of await this.admin.fetchTopicOffsets(topic)) total += Number(partition.high) - Number(partition.low);
      }
      this.lastMessages.set(key, total);
      return total;
    } catch (error) {
      if (!isRetriable(error)) throw error;
      return this.lastMessages.get(key) ?? 0;
    }
  }

  /** The sum of a consumer group's committed offsets on the topics (a partition with none counts 0). */
  async committed(groupId: string, topics: readonly string[]): Promise<number> {
    const key = `${groupId}/${topics.join(',')}`;
    try {
      let total = 0;
      for (const entry of await this.admin.fetchOffsets({ groupId, topics: [...topics] })) {
        for (const partition of entry.partitions) total += Math.max(0, Number(partition.offset));
      }
      this.lastCommitted.set(key, total);
      return total;
    } catch (error) {
      if (!isRetriable(error)) throw error;
      return this.lastCommitted.get(key) ?? 0;
    }
  }

  /** Deletes the topics and the consumer groups whose names start with `prefix`. */
  async deleteWithPrefix(prefix: string): Promise<void> {
    const topics = (await this.admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 30_000 });
    const groups = (await this.admin.listGroups()).groups.map((group) => group.groupId).filter((group) => group.startsWith(prefix));
    if (groups.length > 0) await this.admin.deleteGroups(groups);
  }

}

/** kafkajs marks errors it would retry itself (no leader yet, coordinator loading) as retriable. */
function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

/** Index operations applied by an index's primaries so far (`indexing.index_total`), 0 when it does not exist. */
export async function indexOperations(engine: SearchEngine, index: string): Promise<number> {
  try {
    return await engine.indexingTotal(index);
  } catch {
    return 0;
  }
}

/** The work of an index that does not exist (yet). */
export const NO_INDEX_WORK: IndexWork = { operations: 0, indexingMs: 0, refreshMs: 0, mergeMs: 0 };

/** An index's work so far (its stats), {@link NO_INDEX_WORK} when it does not exist. */
export async function indexWorkOf(engine: SearchEngine, index: string): Promise<IndexWork> {
  try {
    return await engine.indexWork(index);
  } catch {
    return NO_INDEX_WORK;
  }
}

/** The engine's thread time per index operation between two readings of an index's work, in microseconds. */
export interface EngineWorkPerDocument {
  readonly indexingUs: number;
  readonly refreshUs: number;
  readonly mergeUs: number;
}

/** The work between `before` and `after` per index operation (undefined when none was applied). */
export function engineWorkPerDocument(before: IndexWork, after: IndexWork): EngineWorkPerDocument | undefined {
  const operations = after.operations - before.operations;
  if (operations <= 0) return undefined;
  const perDocument = (milliseconds: number): number => (milliseconds * 1000) / operations;
  return {
    indexingUs: perDocument(after.indexingMs - before.indexingMs),
    refreshUs: perDocument(after.refreshMs - before.refreshMs),
    mergeUs: perDocument(after.mergeMs - before.mergeMs),
  };
}

/** One observation of a progress counter. */
export interface Sample {
  readonly atMs: number;
  readonly value: number;
}

/**
 * Polls `read` every `intervalMs` until it reaches `target`. The rate is measured between the
 * first sample above the starting value and the first sample at the target, so start-up (process
 * start, group join) is not counted: it is a rate at saturation.
 */
export async function followUntil(
  read: () => Promise<number>,
  target: number,
  options: { intervalMs: number; timeoutMs: number; description: string; check?: () => void },
): Promise<{ first: Sample; last: Sample; startValue: number; rate: number; seconds: number }> {
  const began = now();
  const startValue = await read();
  let first: Sample | undefined;
  for (;;) {
    options.check?.();
    const value = await read();
    const atMs = now();
    if (first === undefined && value > startValue) first = { atMs, value };
    if (value >= target) {
      const last = { atMs, value };
      const start = first ?? last;
      const seconds = (last.atMs - start.atMs) / 1000;
      return { first: start, last, startValue, seconds, rate: seconds > 0 ? (last.value - start.value) / seconds : Number.NaN };
    }
    if (atMs - began > options.timeoutMs) throw new Error(`timed out after ${(options.timeoutMs / 1000).toFixed(0)} s waiting for ${options.description} (${value} of ${target})`);
    await sleep(options.intervalMs);
  }
}
