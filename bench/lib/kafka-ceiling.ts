/**
 * The Kafka ceiling: a plain kafkajs producer sending the very messages sluice's capture wrote
 * (read back from its change topic: same keys, same Avro values) to a fresh topic with the same
 * partition count, acks=all, in batches of 1,000 messages (sluice's default batch). Nothing else
 * is done per message, so this is what kafkajs alone can do on this machine.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import { now } from './services.js';

/** A message read back from a change topic. */
export interface CapturedMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
}

/** Reads the first `count` messages of `topic` (all partitions), with a throwaway consumer group. */
export async function readMessages(kafka: Kafka, topic: string, count: number, timeoutMs = 120_000): Promise<CapturedMessage[]> {
  const groupId = `sluice-bench-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxBytes: 16 * 1024 * 1024 });
  const messages: CapturedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${count} messages of ${topic}`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: ({ batch }) => {
            for (const message of batch.messages) {
              if (messages.length < count) messages.push({ key: message.key, value: message.value, timestamp: message.timestamp });
            }
            if (messages.length >= count) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return messages;
}

/** A producer configuration tried for the ceiling. */
export interface ProducerVariant {
  readonly name: string;
  readonly idempotent: boolean;
  /** sendBatch calls in flight at once. */
  readonly concurrency: number;
}

/** The configurations tried: the best plain one is the ceiling; the idempotent one is sluice's setting. */
export const PRODUCER_VARIANTS: readonly ProducerVariant[] = [
  { name: 'plain, 1 request in flight', idempotent: false, concurrency: 1 },
  { name: 'plain, 4 requests in flight', idempotent: false, concurrency: 4 },
  { name: 'idempotent, 1 in flight (sluice settings)', idempotent: true, concurrency: 1 },
];

/** The result of one produce run. */
export interface ProduceRun {
  readonly variant: string;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
}

/** Produces `messages` to `topic` (which must exist) in batches of `batchSize`, acks=all. */
export async function produceMessages(kafka: Kafka, topic: string, messages: readonly CapturedMessage[], variant: ProducerVariant, batchSize = 1_000): Promise<ProduceRun> {
  const producer = kafka.producer({ idempotent: variant.idempotent, allowAutoTopicCreation: false, ...(variant.idempotent ? { maxInFlightRequests: 1 } : {}) });
  await producer.connect();
  try {
    let next = 0;
    const began = now();
    const worker = async (): Promise<void> => {
      while (next < messages.length) {
        const batch = messages.slice(next, next + batchSize);
        next += batch.length;
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch.map((message): Message => ({ key: message.key, value: message.value, timestamp: message.timestamp })) }] });
      }
    };
    await Promise.all(Array.from({ length: variant.concurrency }, () => worker()));
    const seconds = (now() - began) / 1000;
    return { variant: variant.name, messages: messages.length, seconds, messagesPerSecond: messages.length / seconds };
  } finally {
    await producer.disconnect();
  }
}
