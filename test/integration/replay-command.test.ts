import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { changeTopic, schemaTopic } from '../../src/streams/topic-names.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, endpoints, joinConsumerGroup, testKafka } from '../helpers/services.js';

// A pipeline with two change topics (t1: 2 partitions holding 3 and 2 messages, t2: 1 partition
// holding 4) and its schema topic (2 messages). The sink group committed the end of all three.
const pipeline = uniqueName('replay_cmd');
const groupId = sinkGroupId(pipeline);
const t1 = changeTopic(pipeline, 'db', 't1');
const t2 = changeTopic(pipeline, 'db', 't2');
const schemas = schemaTopic(pipeline);
const END: Readonly<Record<string, Readonly<Record<number, string>>>> = { [t1]: { 0: '3', 1: '2' }, [t2]: { 0: '4' }, [schemas]: { 0: '2' } };

const fixture = new Cleanup();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterAll(() => fixture.run());

let kafka: Kafka;
let admin: Admin;
let configFile: string;

/** Writes a pipeline file for `name` into a temporary directory; returns its path. */
function writePipelineFile(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
  fixture.add(() => Promise.resolve(rmSync(directory, { recursive: true, force: true })));
  const file = join(directory, 'pipeline.yml');
  writeFileSync(
    file,
    [
      `pipeline: ${name}`,
      'source:',
      '  mysql:',
      '    url: mysql://u:p@127.0.0.1:13306',
      '    databases: [x]',
      'kafka:',
      `  brokers: [${endpoints.kafkaBrokers.join(', ')}]`,
      '',
    ].join('\n'),
  );
  return file;
}

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  fixture.add(() => admin.disconnect());
  configFile = writePipelineFile(pipeline);

  const topics = [
    { topic: t1, numPartitions: 2 },
    { topic: t2, numPartitions: 1 },
    { topic: schemas, numPartitions: 1 },
  ];
  await admin.createTopics({ topics, waitForLeaders: true });
  fixture.add(() => admin.deleteTopics({ topics: topics.map(({ topic }) => topic) }));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const [topic, partitions] of Object.entries(END)) {
    const messages = Object.entries(partitions).flatMap(([partition, count]) =>
      Array.from({ length: Number(count) }, (_, index) => ({ partition: Number(partition), value: `${topic} ${partition} ${index}` })),
    );
    await producer.send({ topic, messages });
  }
  await producer.disconnect();

  fixture.add(() => admin.deleteGroups([groupId]));
  for (const [topic, partitions] of Object.entries(END)) {
    await admin.setOffsets({ groupId, topic, partitions: Object.entries(partitions).map(([partition, offset]) => ({ partition: Number(partition), offset })) });
  }
  expect(await committedOffsets()).toEqual(END);
});

/** The sink group's committed offsets, by topic and partition. */
async function committedOffsets(): Promise<Record<string, Record<number, string>>> {
  const committed = await admin.fetchOffsets({ groupId, topics: [t1, t2, schemas] });
  return Object.fromEntries(committed.map(({ topic, partitions }) => [topic, Object.fromEntries(partitions.map(({ partition, offset }) => [partition, offset]))]));
}

/** Matches the line of the printed plan for one partition: topic, partition, current, target, delta. */
function planRow(topic: string, ...cells: string[]): RegExp {
  return new RegExp(`^${[topic.replaceAll('.', '\\.'), ...cells].join(' +')}$`, 'm');
}

/** Runs `sluice replay <args>` in-process: the exit code and what it wrote. */
async function replay(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'sluice', 'replay', ...args]);
    const text = (spy: typeof stdout): string => spy.mock.calls.map(([chunk]) => String(chunk)).join('');
    return { code, stdout: text(stdout), stderr: text(stderr) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

// The tests run in order; each starts from the offsets the one before left.
describe('sluice replay', () => {
  it('prints the plan of a dry run and changes nothing, then moves the sink group to the beginning', async () => {
    const dryRun = await replay('-c', configFile, '--to-beginning', '--dry-run');
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain(`consumer group "${groupId}" to the beginning:`);
    expect(dryRun.stdout).toMatch(planRow(t1, '0', '3', '0', '-3'));
    expect(dryRun.stdout).toMatch(planRow(t1, '1', '2', '0', '-2'));
    expect(dryRun.stdout).toMatch(planRow(t2, '0', '4', '0', '-4'));
    expect(dryRun.stdout).not.toContain(schemas);
    expect(dryRun.stdout).toContain('dry run: nothing changed');
    expect(await committedOffsets()).toEqual(END);

    const applied = await replay('-c', configFile, '--to-beginning');
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(planRow(t2, '0', '4', '0', '-4'));
    expect(applied.stdout).toContain(`replayed: 3 partition(s) of consumer group "${groupId}" changed`);
    expect(await committedOffsets()).toEqual({ [t1]: { 0: '0', 1: '0' }, [t2]: { 0: '0' }, [schemas]: END[schemas] });
  });

  it('moves the group to explicit offsets and to the end, on the topics named by --topics', async () => {
    const explicit = await replay('-c', configFile, '--to-offsets', `${t2}:0=2`);
    expect(explicit.stderr).toBe('');
    expect(explicit.code).toBe(0);
    expect(explicit.stdout).toContain('replayed: 1 partition(s)');
    expect((await committedOffsets())[t2]).toEqual({ 0: '2' });

    const end = await replay('-c', configFile, '--to-end', '--topics', ` ${t2} ,`);
    expect(end.stderr).toBe('');
    expect(end.code).toBe(0);
    expect(end.stdout).not.toContain(t1);
    expect((await committedOffsets())[t2]).toEqual(END[t2]);
  });

  it('plans a replay to a timestamp: the first message at or after it, or the end when there is none', async () => {
    const before = await committedOffsets();
    const epoch = await replay('-c', configFile, '--to-timestamp', '0', '--dry-run');
    expect(epoch.stderr).toBe('');
    expect(epoch.code).toBe(0);
    expect(epoch.stdout).toContain('to the first message at or after 1970-01-01T00:00:00.000Z (0)');
    expect(epoch.stdout).toMatch(planRow(t2, '0', '4', '0', '-4'));

    const later = new Date(Date.now() + 3_600_000).toISOString();
    const future = await replay('-c', configFile, '--to-timestamp', later, '--dry-run');
    expect(future.code).toBe(0);
    expect(future.stdout).toContain(`to the first message at or after ${later}`);
    expect(future.stdout).toMatch(planRow(t2, '0', '4', '4', '0'));
    expect(await committedOffsets()).toEqual(before);
  });

  it('exits 2 on a bad timestamp and on no or two targets, changing nothing', async () => {
    const before = await committedOffsets();

    const badTime = await replay('-c', configFile, '--to-timestamp', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('invalid --to-timestamp "yesterday"');
    expect(badTime.stdout).toBe('');

    const impossible = await replay('-c', configFile, '--to-timestamp', '2024-02-30T00:00:00Z');
    expect(impossible.code).toBe(2);

    const two = await replay('-c', configFile, '--to-beginning', '--to-end');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--to-beginning and --to-end given together');
    expect(two.stderr).toContain('--to-timestamp <time>');

    const none = await replay('-c', configFile, '--dry-run');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no replay target given');

    expect(await committedOffsets()).toEqual(before);
  });

  it('exits 2 when the pipeline has no change topic yet', async () => {
    const empty = uniqueName('replay_empty');
    const result = await replay('-c', writePipelineFile(empty), '--to-beginning', '--dry-run');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`pipeline "${empty}" has no change topic`);
    expect(result.stderr).toContain('has not written anything yet');
  });

  it('exits 1 and changes nothing while a consumer of the group runs', async () => {
    await replay('-c', configFile, '--to-end');
    await joinConsumerGroup(kafka, groupId, [t1, t2], cleanup);

    const refused = await replay('-c', configFile, '--to-beginning');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`consumer group "${groupId}" is active`);
    expect(refused.stderr).toContain('stop the sink processes');
    expect(await committedOffsets()).toEqual(END);
  });
});
