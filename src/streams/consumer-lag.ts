import { AssignerProtocol, type Admin } from 'kafkajs';

/** The lag of one partition for one consumer group. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next message it will read); null when it committed none yet. */
  readonly committed: string | null;
  /** The partition's end (high watermark). */
  readonly end: string;
  /** Messages between the committed offset (or the partition's start) and the end. */
  readonly lag: number;
}

/** A consumer group's state and its lag per partition. */
export interface GroupLag {
  readonly group: string;
  /** Kafka's group state: Stable, Empty, PreparingRebalance, Dead... */
  readonly state: string;
  readonly members: number;
  readonly partitions: readonly PartitionLag[];
}

/**
 * The lag of `group` on the topics it reads: the topics assigned to its live members and those it
 * committed offsets on, among the topics whose names start with `topicPrefix` (the pipeline's).
 * A partition the group never committed counts from its start, as the sink reads from the beginning.
 */
export async function readGroupLag(admin: Admin, group: string, topicPrefix: string): Promise<GroupLag> {
  const described = (await admin.describeGroups([group])).groups[0];
  const assigned = new Set<string>();
  for (const member of described?.members ?? []) {
    if (member.memberAssignment.length === 0) continue;
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    for (const topic of Object.keys(assignment?.assignment ?? {})) assigned.add(topic);
  }
  const candidates = (await admin.listTopics()).filter((topic) => topic.startsWith(`${topicPrefix}.`) && !topic.slice(topicPrefix.length + 1).startsWith('__'));
  const committed = candidates.length === 0 ? [] : await admin.fetchOffsets({ groupId: group, topics: candidates });
  const partitions: PartitionLag[] = [];
  for (const { topic, partitions: offsets } of committed) {
    const read = assigned.has(topic) || offsets.some((entry) => BigInt(entry.offset) >= 0n);
    if (!read) continue;
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, entry]));
    for (const entry of offsets) {
      const end = ends.get(entry.partition);
      if (end === undefined) continue;
      const from = BigInt(entry.offset) >= 0n ? BigInt(entry.offset) : BigInt(end.low);
      const lag = BigInt(end.high) - from;
      partitions.push({ topic, partition: entry.partition, committed: BigInt(entry.offset) >= 0n ? entry.offset : null, end: end.high, lag: lag > 0n ? Number(lag) : 0 });
    }
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { group, state: described?.state ?? 'Dead', members: described?.members.length ?? 0, partitions };
}

/** The consumer groups of a pipeline's sink (`<pipeline>.sink` and its backfill groups) that Kafka knows. */
export async function pipelineGroups(admin: Admin, sinkGroup: string): Promise<string[]> {
  const { groups } = await admin.listGroups();
  return groups
    .map((entry) => entry.groupId)
    .filter((group) => group === sinkGroup || group.startsWith(`${sinkGroup}.backfill.`))
    .sort();
}
