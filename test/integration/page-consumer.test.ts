import { pino } from 'pino';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { ensureTopics } from '../../src/streams/ensure-topics.js';
import { PageConsumer, type MessagePage } from '../../src/streams/page-consumer.js';
import { uniqueName } from '../helpers/names.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { Cleanup, testKafka } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * A one-partition topic named after `prefix`, dropped after the test, with a group id of its own;
 * `produce` writes its messages before the consumer starts.
 */
async function topicWithMessages(prefix: string, produce: (producer: Producer, topic: string) => Promise<unknown>): Promise<{ kafka: Kafka; admin: Admin; topic: string; groupId: string }> {
  const kafka = testKafka();
  const topic = uniqueName(prefix);
  const groupId = uniqueName(`${prefix}_group`);
  const admin = kafka.admin();
  await admin.connect();
  cleanup.add(() => admin.disconnect());
  await ensureTopics(admin, [{ topic, partitions: 1, replicationFactor: 1 }]);
  cleanup.add(() => admin.deleteTopics({ topics: [topic] }));
  const producer = kafka.producer();
  await producer.connect();
  await produce(producer, topic);
  await producer.disconnect();
  return { kafka, admin, topic, groupId };
}

describe('PageConsumer', () => {
  it('hands out pages of at most pageSize, commits a page only after it was handled, and redelivers a page whose handling failed', async () => {
    const { kafka, admin, topic, groupId } = await topicWithMessages('pages', (producer, topic) => producer.send({ topic, messages: Array.from({ length: 25 }, (_, index) => ({ key: String(index), value: String(index) })) }));

    const handled: Array<{ first: number; size: number }> = [];
    let failed = false;
    const controller = new AbortController();
    const consumer = new PageConsumer(kafka, { groupId, topics: [topic], pageSize: 10, partitionsConsumedConcurrently: 1, sessionTimeoutMs: 10_000, retryPolicy: TEST_RETRY_POLICY, logger: pino({ level: 'silent' }) });
    const running = consumer.run(controller.signal, (page: MessagePage) => {
      const first = Number(page.messages[0]?.offset);
      if (first === 10 && !failed) {
        failed = true;
        // the committed offset is still 10 while the page fails
        return admin.fetchOffsets({ groupId, topics: [topic] }).then((offsets) => {
          expect(offsets[0]?.partitions[0]?.offset).toBe('10');
          throw new Error('handling failed once');
        });
      }
      handled.push({ first, size: page.messages.length });
      return Promise.resolve();
    });
    cleanup.add(async () => {
      controller.abort();
      await running;
    });
    await waitFor(() => handled.some((page) => page.first + page.size === 25), { timeoutMs: 60_000, description: 'the last page' });
    expect(failed).toBe(true);
    expect(handled.every((page) => page.size <= 10)).toBe(true);
    const offsets = new Set(handled.flatMap((page) => Array.from({ length: page.size }, (_, index) => page.first + index)));
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, index) => index));
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset === '25', { description: 'offset 25 committed' });
  }, 90_000);

  it('consumes messages larger than its fetch limits whole and in order (the broker returns a record batch whatever its size)', async () => {
    const { kafka, topic, groupId } = await topicWithMessages('pages_fetch', async (producer, topic) => {
      // one request per message: each is a record batch of its own, 8 times the limits
      for (let index = 0; index < 5; index += 1) await producer.send({ topic, messages: [{ key: String(index), value: `${index}:${'x'.repeat(8 * 1024)}` }] });
    });

    const values: string[] = [];
    const controller = new AbortController();
    const fetch = { maxBytesPerPartition: 1024, maxBytes: 1024 };
    const consumer = new PageConsumer(kafka, { groupId, topics: [topic], pageSize: 10, partitionsConsumedConcurrently: 1, sessionTimeoutMs: 10_000, fetch, retryPolicy: TEST_RETRY_POLICY, logger: pino({ level: 'silent' }) });
    const running = consumer.run(controller.signal, (page: MessagePage) => {
      for (const message of page.messages) values.push(message.value?.toString() ?? '');
      return Promise.resolve();
    });
    cleanup.add(async () => {
      controller.abort();
      await running;
    });
    await waitFor(() => values.length >= 5, { timeoutMs: 60_000, description: 'the five large messages' });
    expect(values.map((value) => value.split(':')[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(values.every((value) => value.length === 2 + 8 * 1024)).toBe(true);
  }, 90_000);

  it('stops on a permanent failure of a page: run() rejects, the page is not committed and no later page is handled', async () => {
    const { kafka, admin, topic, groupId } = await topicWithMessages('pages_permanent', (producer, topic) => producer.send({ topic, messages: Array.from({ length: 25 }, (_, index) => ({ key: String(index), value: String(index) })) }));

    const handled: number[] = [];
    const permanent = new PermanentError('building items documents failed: Unknown column', 'restore the column');
    const controller = new AbortController();
    cleanup.add(() => Promise.resolve(controller.abort()));
    const consumer = new PageConsumer(kafka, { groupId, topics: [topic], pageSize: 10, partitionsConsumedConcurrently: 1, sessionTimeoutMs: 10_000, retryPolicy: TEST_RETRY_POLICY, logger: pino({ level: 'silent' }) });
    const running = consumer.run(controller.signal, (page: MessagePage) => {
      const first = Number(page.messages[0]?.offset);
      handled.push(first);
      return first === 10 ? Promise.reject(permanent) : Promise.resolve();
    });
    await expect(running).rejects.toBe(permanent);
    expect(handled).toEqual([0, 10]);
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('10');
  }, 90_000);
});
