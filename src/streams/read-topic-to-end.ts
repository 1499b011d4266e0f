import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { retry } from '../retry.js';
import { kafkaCall } from './kafka-call.js';

/**
 * Reads every message of a topic, from the beginning up to the end it has when the call starts,
 * with a throwaway consumer group that is deleted afterwards. Meant for small compacted topics
 * (schemas, positions). Reading the offsets is retried while Kafka answers with a transient error
 * (a topic created a moment ago has no leader yet: NOT_LEADER_FOR_PARTITION).
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onMessage: (message: KafkaMessage, partition: number) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `sluice-reader-${randomUUID()}`;
  try {
    const offsets = await retry(() => kafkaCall('read the partition offsets in Kafka', { topic }, () => admin.fetchTopicOffsets(topic)));
    const remaining = new Map(offsets.filter((entry) => BigInt(entry.high) > BigInt(entry.low)).map((entry) => [entry.partition, BigInt(entry.high)]));
    if (remaining.size === 0) return;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: ({ partition, message }) => {
              const end = remaining.get(partition);
              if (end === undefined) return Promise.resolve();
              if (BigInt(message.offset) < end) onMessage(message, partition);
              if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0) resolve();
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
