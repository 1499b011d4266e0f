import type { Kafka } from 'kafkajs';
import type { ChangeEvent } from '../../src/model/change-event.js';
import { retry } from '../../src/retry.js';
import { decodeChangeEvent } from '../../src/streams/avro/change-event-codec.js';
import { SchemaTopic } from '../../src/streams/schema-topic.js';
import { schemaTopic } from '../../src/streams/topic-names.js';
import { uniqueName } from './names.js';
import type { Cleanup } from './services.js';
import { waitFor } from './wait-for.js';

/** A change event as read back from Kafka, with its message key, topic, partition and offset. */
export interface ReadEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly event: ChangeEvent;
}

/** What {@link collectChangeEvents} gathers. */
export interface CollectedEvents {
  /** The decoded change events. */
  readonly events: ReadEvent[];
  /** Tombstones (a null value after a delete, for compaction): their topic and key. */
  readonly tombstones: Array<{ readonly topic: string; readonly key: string | null; readonly offset: string }>;
  /** Every message read, tombstones included. */
  messages: number;
}

/**
 * Consumes and decodes every change event of `topics` from the beginning, in a background
 * consumer that `cleanup` stops. `events` grows as messages arrive (per partition in offset order);
 * tombstones are listed apart.
 */
export async function collectChangeEvents(kafka: Kafka, topicPrefix: string, topics: readonly string[], cleanup: Cleanup): Promise<CollectedEvents> {
  const schemas = new SchemaTopic(kafka, schemaTopic(topicPrefix));
  const consumer = kafka.consumer({ groupId: uniqueName('collector'), sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  cleanup.add(() => consumer.disconnect());
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  const collected: CollectedEvents = { events: [], tombstones: [], messages: 0 };
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      collected.messages += 1;
      if (message.value === null) {
        collected.tombstones.push({ topic, key: message.key?.toString() ?? null, offset: message.offset });
        return;
      }
      const event = await decodeChangeEvent(message.value, (id) => schemas.resolve(id));
      collected.events.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, event });
    },
  });
  return collected;
}

/** The latest event per message key (per topic), i.e. what a compacted topic would keep. */
export function latestByKey(events: readonly ReadEvent[]): Map<string, ChangeEvent> {
  const latest = new Map<string, ChangeEvent>();
  for (const read of events) latest.set(`${read.topic}|${read.key}`, read.event);
  return latest;
}

/** Every change event `topic` holds when called, read back from the beginning and decoded. */
export async function readWholeTopic(kafka: Kafka, topicPrefix: string, topic: string, cleanup: Cleanup): Promise<ReadEvent[]> {
  const total = await messagesInTopics(kafka, [topic]);
  const collected = await collectChangeEvents(kafka, topicPrefix, [topic], cleanup);
  await waitFor(() => collected.messages >= total, { description: `the ${total} messages of ${topic}`, timeoutMs: 120_000 });
  return collected.events;
}

/**
 * How many messages `topics` hold (the sum of their partitions' high watermarks), retried while
 * Kafka answers with a transient error (a topic created a moment ago may have no leader yet).
 */
export async function messagesInTopics(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      const offsets = await retry(() => admin.fetchTopicOffsets(topic), { policy: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, maxAttempts: 60, maxElapsedMs: 60_000, jitter: 0 } });
      total += offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}
