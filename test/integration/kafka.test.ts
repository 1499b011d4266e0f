import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, testKafka } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('Kafka broker', () => {
  it('consumes back a produced message and reads back the offset the group committed', async () => {
    const kafka = testKafka();
    const topic = uniqueName('smoke');
    const groupId = uniqueName('group');
    const admin = kafka.admin();
    await admin.connect();
    cleanup.add(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    cleanup.add(() => admin.deleteTopics({ topics: [topic] }));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanup.add(() => producer.disconnect());
    const [sent] = await producer.send({ topic, messages: [{ key: 'film:1', value: JSON.stringify({ title: 'ACADEMY DINOSAUR' }) }] });
    expect(sent?.errorCode).toBe(0);

    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    cleanup.add(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ partition: number; offset: string; key: string; value: string }>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            resolve({ partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          },
        })
        .catch(reject);
    });

    expect(received).toMatchObject({ partition: sent?.partition, offset: sent?.baseOffset, key: 'film:1' });
    expect(JSON.parse(received.value)).toEqual({ title: 'ACADEMY DINOSAUR' });
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const partitionOffset = committed?.partitions.find((entry) => entry.partition === received.partition);
    expect(partitionOffset?.offset).toBe((BigInt(received.offset) + 1n).toString());
    await consumer.stop();
  });
});
