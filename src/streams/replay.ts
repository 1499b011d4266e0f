import type { Admin } from 'kafkajs';
import { ConfigurationError, SluiceError } from '../errors.js';
import { kafkaCall } from './kafka-call.js';

/** One partition and the offset to move a consumer group to. Offsets are decimal strings, as in kafkajs. */
export interface ReplayOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Where a replay moves a consumer group: to the first retained message, past the last one, to the
 * first message at or after a timestamp (milliseconds since the epoch), or to explicit offsets.
 */
export type ReplayTarget =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'timestamp'; readonly timestampMs: number }
  | { readonly kind: 'offsets'; readonly offsets: readonly ReplayOffset[] };

/** What a replay does to one partition. Offsets and counts are decimal strings (Kafka offsets are 64-bit). */
export interface ReplayPlanEntry {
  readonly topic: string;
  readonly partition: number;
  /** The first offset still retained (low watermark). */
  readonly low: string;
  /** The offset the next produced message will get (high watermark). */
  readonly high: string;
  /** The group's committed offset; null when the group has committed none for this partition. */
  readonly currentOffset: string | null;
  /** The offset the group will resume from. */
  readonly targetOffset: string;
  /** target − current: negative rewinds (messages read again), positive skips; null without a committed offset. */
  readonly delta: string | null;
  /** Messages the group will read after the replay: high − target. */
  readonly lag: string;
}

/** A committed offset {@link applyReplay} changed. */
export interface ReplayChange {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset read just before the change; null when there was none. */
  readonly previousOffset: string | null;
  readonly offset: string;
}

/** Group states in which no consumer is running, so the committed offsets may be moved. */
const IDLE_GROUP_STATES: ReadonlySet<string> = new Set(['Empty', 'Dead']);

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const DECIMAL = /^\d+$/;

/**
 * Works out, without changing anything, which offsets `target` moves `groupId` to on every
 * partition of `topics` (for explicit offsets: on the listed partitions only, whose topics must be
 * among `topics`). Throws a ConfigurationError for an unknown topic, an unknown partition or an
 * offset outside the partition's [low, high] range. Entries are sorted by topic, then partition.
 */
export async function planReplay(admin: Admin, groupId: string, topics: readonly string[], target: ReplayTarget): Promise<ReplayPlanEntry[]> {
  const wanted = [...new Set(topics)].sort();
  if (wanted.length === 0) throw new ConfigurationError(`no topic to replay for consumer group "${groupId}"`, 'name at least one topic');
  validateTarget(target, wanted);
  const existing = new Set(await kafkaCall('list the Kafka topics', { groupId }, () => admin.listTopics()));
  const unknown = wanted.filter((topic) => !existing.has(topic));
  if (unknown.length > 0) {
    throw new ConfigurationError(`unknown Kafka topic(s): ${unknown.join(', ')}`, 'check the topic names, or create the topics first', {
      context: { groupId, topics: unknown },
    });
  }
  const committed = await kafkaCall('read the committed offsets in Kafka', { groupId }, () => admin.fetchOffsets({ groupId, topics: wanted }));
  const plan: ReplayPlanEntry[] = [];
  for (const topic of wanted) {
    const watermarks = await kafkaCall('read the partition offsets in Kafka', { topic }, () => admin.fetchTopicOffsets(topic));
    const current = new Map(committed.find((entry) => entry.topic === topic)?.partitions.map((p) => [p.partition, p.offset]));
    const targets = await targetOffsets(admin, topic, watermarks, target);
    for (const { partition, low, high } of watermarks) {
      const targetOffset = targets.get(partition);
      if (targetOffset === undefined) continue;
      const committedOffset = current.get(partition);
      const currentOffset = committedOffset === undefined || BigInt(committedOffset) < 0n ? null : committedOffset;
      plan.push({
        topic,
        partition,
        low,
        high,
        currentOffset,
        targetOffset,
        delta: currentOffset === null ? null : (BigInt(targetOffset) - BigInt(currentOffset)).toString(),
        lag: (BigInt(high) - BigInt(targetOffset)).toString(),
      });
    }
  }
  if (target.kind === 'offsets') checkExplicitOffsets(target.offsets, plan);
  return plan.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/**
 * Commits the plan's target offsets for `groupId`, one topic at a time, skipping partitions already
 * there. Refuses (a non-retriable SluiceError) while the group has running members: the sink
 * processes must be stopped first, or they would overwrite the offsets. Returns what it changed.
 * Each topic takes a few seconds: kafkajs commits the offsets by briefly joining the group.
 */
export async function applyReplay(admin: Admin, groupId: string, plan: readonly ReplayPlanEntry[]): Promise<ReplayChange[]> {
  if (plan.length === 0) return [];
  const { groups } = await kafkaCall('describe the consumer group in Kafka', { groupId }, () => admin.describeGroups([groupId]));
  const group = groups.find((entry) => entry.groupId === groupId);
  if (group !== undefined && !IDLE_GROUP_STATES.has(group.state)) {
    throw new SluiceError(
      `consumer group "${groupId}" is active (state ${group.state}, ${group.members.length} member(s)): ` +
        'stop the sink processes of this group before replaying, then run the replay again',
      { retriable: false, context: { groupId, state: group.state, members: group.members.map((member) => member.clientHost + ' ' + member.clientId) } },
    );
  }
  const topics = [...new Set(plan.map((entry) => entry.topic))].sort();
  const committed = await kafkaCall('read the committed offsets in Kafka', { groupId }, () => admin.fetchOffsets({ groupId, topics }));
  const changes: ReplayChange[] = [];
  for (const topic of topics) {
    const current = new Map(committed.find((entry) => entry.topic === topic)?.partitions.map((p) => [p.partition, p.offset]));
    const topicChanges = plan
      .filter((entry) => entry.topic === topic)
      .map((entry): ReplayChange => {
        const previous = current.get(entry.partition);
        const previousOffset = previous === undefined || BigInt(previous) < 0n ? null : previous;
        return { topic, partition: entry.partition, previousOffset, offset: entry.targetOffset };
      })
      .filter((change) => change.previousOffset !== change.offset);
    if (topicChanges.length === 0) continue;
    const partitions = topicChanges.map(({ partition, offset }) => ({ partition, offset }));
    await kafkaCall('set the committed offsets in Kafka', { groupId, topic }, () => admin.setOffsets({ groupId, topic, partitions }));
    changes.push(...topicChanges);
  }
  return changes;
}

/** The plan as an aligned text table (topic, partition, current, target, delta), for a dry run. */
export function formatReplayPlan(plan: readonly ReplayPlanEntry[]): string {
  if (plan.length === 0) return 'nothing to replay: the plan has no partitions\n';
  const header = ['topic', 'partition', 'current', 'target', 'delta'];
  const rows = plan.map((entry) => [
    entry.topic,
    String(entry.partition),
    entry.currentOffset ?? '-',
    entry.targetOffset,
    entry.delta === null ? '-' : BigInt(entry.delta) > 0n ? `+${entry.delta}` : entry.delta,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

/**
 * Parses explicit replay offsets written as `topic:partition=offset,topic:partition=offset`
 * (spaces around entries are ignored). Throws a ConfigurationError on bad syntax or a partition
 * named twice.
 */
export function parseReplayOffsets(spec: string): ReplayOffset[] {
  const fix = 'write the offsets as topic:partition=offset, separated by commas (e.g. orders:0=42,orders:1=40)';
  const entries = spec.split(',').map((entry) => entry.trim());
  if (spec.trim() === '') throw new ConfigurationError('no replay offsets given', fix);
  const offsets: ReplayOffset[] = [];
  for (const entry of entries) {
    const match = /^(.+):([^:=]+)=(.*)$/.exec(entry);
    const [, topic = '', partition = '', offset = ''] = match ?? [];
    if (match === null || !TOPIC_NAME.test(topic) || !DECIMAL.test(partition) || !DECIMAL.test(offset)) {
      throw new ConfigurationError(`invalid replay offset "${entry}"`, fix, { context: { entry } });
    }
    offsets.push({ topic, partition: Number(partition), offset: BigInt(offset).toString() });
  }
  checkDuplicates(offsets);
  return offsets;
}

/** Rejects targets that cannot be right whatever the broker holds. */
function validateTarget(target: ReplayTarget, topics: readonly string[]): void {
  if (target.kind === 'timestamp' && !(Number.isSafeInteger(target.timestampMs) && target.timestampMs >= 0)) {
    throw new ConfigurationError(`invalid replay timestamp ${target.timestampMs}`, 'give a time as milliseconds since the epoch (0 or more)');
  }
  if (target.kind !== 'offsets') return;
  if (target.offsets.length === 0) throw new ConfigurationError('no replay offsets given', 'give at least one topic:partition=offset');
  for (const { topic, partition, offset } of target.offsets) {
    if (!topics.includes(topic)) {
      throw new ConfigurationError(`replay offset for topic "${topic}", which is not among the topics to replay (${topics.join(', ')})`, 'add the topic, or remove its offsets', {
        context: { topic },
      });
    }
    if (!Number.isSafeInteger(partition) || partition < 0 || !DECIMAL.test(offset)) {
      throw new ConfigurationError(`invalid replay offset ${topic}:${partition}=${offset}`, 'partitions and offsets are integers, 0 or more', {
        context: { topic, partition, offset },
      });
    }
  }
  checkDuplicates(target.offsets);
}

/** Rejects a partition named twice. */
function checkDuplicates(offsets: readonly ReplayOffset[]): void {
  const seen = new Set<string>();
  for (const { topic, partition } of offsets) {
    const key = `${topic}:${partition}`;
    if (seen.has(key)) throw new ConfigurationError(`replay offset for ${key} given twice`, 'give one offset per partition', { context: { topic, partition } });
    seen.add(key);
  }
}

/** Rejects explicit offsets on partitions that do not exist or outside a partition's [low, high]. */
function checkExplicitOffsets(offsets: readonly ReplayOffset[], plan: readonly ReplayPlanEntry[]): void {
  for (const { topic, partition, offset } of offsets) {
    const entry = plan.find((candidate) => candidate.topic === topic && candidate.partition === partition);
    if (entry === undefined) {
      throw new ConfigurationError(`topic "${topic}" has no partition ${partition}`, 'check the partition numbers of the topic', { context: { topic, partition } });
    }
    if (BigInt(offset) < BigInt(entry.low) || BigInt(offset) > BigInt(entry.high)) {
      throw new ConfigurationError(
        `replay offset ${offset} for ${topic}:${partition} is out of range: valid offsets are ${entry.low} to ${entry.high}`,
        `choose an offset from ${entry.low} to ${entry.high} (${entry.high} = after the last message)`,
        { context: { topic, partition, offset, low: entry.low, high: entry.high } },
      );
    }
  }
}

/** The target offset of every partition of `topic` the target covers. */
async function targetOffsets(
  admin: Admin,
  topic: string,
  watermarks: ReadonlyArray<{ partition: number; low: string; high: string }>,
  target: ReplayTarget,
): Promise<Map<number, string>> {
  switch (target.kind) {
    case 'beginning':
      return new Map(watermarks.map(({ partition, low }) => [partition, low]));
    case 'end':
      return new Map(watermarks.map(({ partition, high }) => [partition, high]));
    case 'timestamp': {
      // kafkajs answers the high watermark for partitions with no message at or after the timestamp.
      const found = await kafkaCall('look up offsets by timestamp in Kafka', { topic, timestampMs: target.timestampMs }, () =>
        admin.fetchTopicOffsetsByTimestamp(topic, target.timestampMs),
      );
      return new Map(found.map(({ partition, offset }) => [partition, offset]));
    }
    case 'offsets':
      return new Map(target.offsets.filter((entry) => entry.topic === topic).map(({ partition, offset }) => [partition, offset]));
  }
}
