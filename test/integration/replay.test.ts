import type { Admin, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, SluiceError } from '../../src/errors.js';
import { applyReplay, formatReplayPlan, parseReplayOffsets, planReplay, type ReplayTarget } from '../../src/streams/replay.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, joinConsumerGroup, testKafka } from '../helpers/services.js';

// One topic with 2 partitions, three batches 10 s apart in message time. Partition 0 holds 3
// messages per batch (offsets 0-8), partition 1 holds 2 (offsets 0-5). The group consumed
// everything and committed the high watermarks.
const PER_BATCH = [3, 2] as const;
const BATCH_GAP_MS = 10_000;
const batchStart = Date.now() - 60_000;

const fixture = new Cleanup();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterAll(() => fixture.run());

let kafka: Kafka;
let admin: Admin;
const topic = uniqueName('replay');
const groupId = uniqueName('replay_group');

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  fixture.add(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  fixture.add(() => admin.deleteTopics({ topics: [topic] }));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let batch = 0; batch < 3; batch += 1) {
    const timestamp = String(batchStart + batch * BATCH_GAP_MS);
    const messages = PER_BATCH.flatMap((count, partition) =>
      Array.from({ length: count }, (_, index) => ({ partition, timestamp, key: `b${batch}`, value: `batch ${batch} message ${index}` })),
    );
    await producer.send({ topic, messages });
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const total = (PER_BATCH[0] + PER_BATCH[1]) * 3;
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: () => {
          received += 1;
          if (received === total) resolve();
          return Promise.resolve();
        },
      })
      .catch(reject);
  });
  await consumer.commitOffsets(PER_BATCH.map((count, partition) => ({ topic, partition, offset: String(count * 3) })));
  await consumer.disconnect();
});

/** The group's committed offsets, by partition. */
async function committedOffsets(): Promise<Record<number, string>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((committed?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
}

/** Plans and applies `target`, returning the plan. */
async function replay(target: ReplayTarget): Promise<Awaited<ReturnType<typeof planReplay>>> {
  const plan = await planReplay(admin, groupId, [topic], target);
  await applyReplay(admin, groupId, plan);
  return plan;
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('replay', () => {
  it('moves the group to the beginning: the low watermarks', async () => {
    await replay({ kind: 'end' });
    const plan = await planReplay(admin, groupId, [topic], { kind: 'beginning' });
    expect(plan).toEqual([
      { topic, partition: 0, low: '0', high: '9', currentOffset: '9', targetOffset: '0', delta: '-9', lag: '9' },
      { topic, partition: 1, low: '0', high: '6', currentOffset: '6', targetOffset: '0', delta: '-6', lag: '6' },
    ]);
    expect(formatReplayPlan(plan)).toContain(`${topic}          0        9       0     -9`);

    const changes = await applyReplay(admin, groupId, plan);
    expect(changes).toEqual([
      { topic, partition: 0, previousOffset: '9', offset: '0' },
      { topic, partition: 1, previousOffset: '6', offset: '0' },
    ]);
    expect(await committedOffsets()).toEqual({ 0: '0', 1: '0' });
    expect(await applyReplay(admin, groupId, plan)).toEqual([]);
  });

  it('moves the group to the first message at or after a timestamp, or to the end when there is none', async () => {
    await replay({ kind: 'beginning' });
    const plan = await replay({ kind: 'timestamp', timestampMs: batchStart + BATCH_GAP_MS / 2 });
    expect(plan.map((entry) => entry.targetOffset)).toEqual([String(PER_BATCH[0]), String(PER_BATCH[1])]);
    expect(await committedOffsets()).toEqual({ 0: '3', 1: '2' });

    await replay({ kind: 'timestamp', timestampMs: batchStart + BATCH_GAP_MS });
    expect(await committedOffsets()).toEqual({ 0: '3', 1: '2' });

    await replay({ kind: 'timestamp', timestampMs: batchStart + 3 * BATCH_GAP_MS });
    expect(await committedOffsets()).toEqual({ 0: '9', 1: '6' });
  });

  it('moves the group to explicit offsets, leaving unnamed partitions alone', async () => {
    await replay({ kind: 'end' });
    await replay({ kind: 'offsets', offsets: parseReplayOffsets(`${topic}:0=5,${topic}:1=4`) });
    expect(await committedOffsets()).toEqual({ 0: '5', 1: '4' });

    const plan = await replay({ kind: 'offsets', offsets: parseReplayOffsets(`${topic}:1=6`) });
    expect(plan).toEqual([{ topic, partition: 1, low: '0', high: '6', currentOffset: '4', targetOffset: '6', delta: '2', lag: '0' }]);
    expect(await committedOffsets()).toEqual({ 0: '5', 1: '6' });
  });

  it('moves the group to the end: the high watermarks', async () => {
    await replay({ kind: 'beginning' });
    const plan = await replay({ kind: 'end' });
    expect(plan.map((entry) => entry.lag)).toEqual(['0', '0']);
    expect(await committedOffsets()).toEqual({ 0: '9', 1: '6' });
  });

  it('rejects offsets outside a partition, unknown partitions and unknown topics', async () => {
    const tooHigh = await rejection(planReplay(admin, groupId, [topic], { kind: 'offsets', offsets: parseReplayOffsets(`${topic}:0=10`) }));
    expect(tooHigh).toBeInstanceOf(ConfigurationError);
    expect((tooHigh as Error).message).toBe(`replay offset 10 for ${topic}:0 is out of range: valid offsets are 0 to 9`);

    const noPartition = await rejection(planReplay(admin, groupId, [topic], { kind: 'offsets', offsets: parseReplayOffsets(`${topic}:2=0`) }));
    expect(noPartition).toBeInstanceOf(ConfigurationError);
    expect((noPartition as Error).message).toBe(`topic "${topic}" has no partition 2`);

    const missing = uniqueName('missing');
    const unknownTopic = await rejection(planReplay(admin, groupId, [topic, missing], { kind: 'beginning' }));
    expect(unknownTopic).toBeInstanceOf(ConfigurationError);
    expect((unknownTopic as Error).message).toContain(missing);
  });

  it('refuses to move the offsets while a consumer of the group runs', async () => {
    await replay({ kind: 'end' });
    const consumer = await joinConsumerGroup(kafka, groupId, [topic], cleanup);

    const plan = await planReplay(admin, groupId, [topic], { kind: 'beginning' });
    const refused = await rejection(applyReplay(admin, groupId, plan));
    expect(refused).toBeInstanceOf(SluiceError);
    expect(refused).not.toBeInstanceOf(ConfigurationError);
    expect((refused as SluiceError).retriable).toBe(false);
    expect((refused as Error).message).toContain('stop the sink processes');
    expect(await committedOffsets()).toEqual({ 0: '9', 1: '6' });

    await consumer.stop();
    await consumer.disconnect();
    await applyReplay(admin, groupId, plan);
    expect(await committedOffsets()).toEqual({ 0: '0', 1: '0' });
  });
});
