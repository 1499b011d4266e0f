/**
 * The pipeline side of `npm run demo`: runs a pipeline file in this process (the MySQL capture and
 * the document sink, wired as `sluice run` wires them) and reads what the demo shows of it in Kafka.
 */
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { captureSettings, preflightExpectations } from '../../src/pipeline/capture-settings.js';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import type { DocumentDefinition, RelationDefinition } from '../../src/config/document-definition.js';
import { DocumentPipeline } from '../../src/pipeline/document-pipeline.js';
import { connectEngine } from '../../src/sinks/engine/connect.js';
import { preflightMysqlSource } from '../../src/sources/mysql/preflight.js';
import { createKafka } from '../../src/streams/kafka-client.js';
import { MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { changeTopic } from '../../src/streams/topic-names.js';

/** The capture and the sink of one pipeline, running in this process. */
export interface RunningPipeline {
  readonly capture: MysqlCapture;
  readonly sink: DocumentPipeline;
  /** Rejects as soon as the capture or the sink stops (with its error, or "stopped"); never resolves. */
  readonly stopped: Promise<never>;
  /** Aborts both and waits for them to finish (offsets committed, position saved); rejects with the first error. */
  stop(): Promise<void>;
}

/**
 * Starts what `sluice run -c <file>` runs (same settings, same preflight checks): the capture of
 * the source database into Kafka and the sink from Kafka to the Elasticsearch documents. If either
 * fails, both stop. kafkajs' own log lines (broker conditions it retries) go to `kafkaLogger`.
 */
export async function startPipeline(config: PipelineConfig, file: string, logger: Logger, kafkaLogger: Logger = logger): Promise<RunningPipeline> {
  const settings = documentPipelineSettings(config, file, logger);
  await preflightMysqlSource(config.source.mysql.url, preflightExpectations(config));
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `sluice-run-${config.pipeline}`, logLevel: logLevel.WARN, logger: kafkaLogger });
  const elasticsearch = await connectEngine(settings.engine);
  const sink = new DocumentPipeline(kafka, elasticsearch, settings);
  const capture = new MysqlCapture(kafka, captureSettings(config, logger));
  const controller = new AbortController();
  const parts = [sink.run(controller.signal), capture.run(controller.signal)].map((part) =>
    part.catch((error: unknown) => {
      controller.abort();
      throw error;
    }),
  );
  // both parts finish (a failing one aborts the other) before the client closes; the first error wins
  const finished = Promise.allSettled(parts).then(async (results) => {
    await elasticsearch.close();
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  });
  const stopped = finished.then(
    () => Promise.reject(new Error('the pipeline stopped')),
    (error: unknown) => Promise.reject(error instanceof Error ? error : new Error(String(error))),
  );
  stopped.catch(() => undefined); // observed by whoever waits on it; never an unhandled rejection
  return {
    capture,
    sink,
    stopped,
    stop: async () => {
      controller.abort();
      await finished;
    },
  };
}

/** The tables a document reads (its root table, every related table and link table), as written in the file. */
export function documentTables(definition: DocumentDefinition): string[] {
  const tables = [definition.table];
  const walk = (relations: Readonly<Record<string, RelationDefinition>> | undefined): void => {
    for (const relation of Object.values(relations ?? {})) {
      tables.push(relation.table);
      if (relation.through !== undefined) tables.push(relation.through.table);
      walk(relation.relations);
    }
  };
  walk(definition.relations);
  return tables;
}

/** The change topic of a table named in the pipeline file (`table` or `db.table`). */
export function tableTopic(config: PipelineConfig, table: string): string {
  const dot = table.indexOf('.');
  const db = dot > 0 ? table.slice(0, dot) : (config.source.mysql.databases[0] ?? '');
  return changeTopic(config.kafka.topicPrefix ?? config.pipeline, db, dot > 0 ? table.slice(dot + 1) : table);
}

/** The `db.table` name of a table named in the pipeline file. */
export function qualifiedTable(config: PipelineConfig, table: string): string {
  return table.includes('.') ? table : `${config.source.mysql.databases[0] ?? ''}.${table}`;
}

/** The change topics the sink of the pipeline consumes: those of every table its documents read. */
export function sinkTopics(config: PipelineConfig): string[] {
  const tables = Object.values(config.documents).flatMap(documentTables);
  return [...new Set(tables.map((table) => tableTopic(config, table)))].sort();
}

/** Message counts of the pipeline's change topics (internal `.__` topics left out). */
export async function topicCounts(admin: Admin, prefix: string): Promise<Array<[string, number]>> {
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`) && !topic.includes('.__')).sort();
  const counts: Array<[string, number]> = [];
  for (const topic of topics) counts.push([topic, (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0)]);
  return counts;
}

/** Committed offsets of `groupId` on `topic` (partition -> offset), only the partitions it has committed. */
async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)]));
}

/**
 * How many messages of `topics` the consumer group still has to read: from its committed offset,
 * or from the first retained message of a partition it has not committed on. Absent topics count 0.
 */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  const existing = new Set(await admin.listTopics());
  let lag = 0n;
  for (const topic of topics.filter((name) => existing.has(name))) {
    const offsets = await committed(admin, groupId, topic);
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      const from = offsets.get(partition) ?? BigInt(low);
      if (BigInt(high) > from) lag += BigInt(high) - from;
    }
  }
  return Number(lag);
}

/**
 * Whether a sink starting now would skip part of `topic`: the group has already committed offsets
 * on it, or the topic no longer holds its first messages (retention). Either way, a document index
 * that lacks documents cannot be rebuilt from the topic alone.
 */
export async function sinkWouldSkip(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  if (!(await admin.listTopics()).includes(topic)) return false;
  if ((await committed(admin, groupId, topic)).size > 0) return true;
  return (await admin.fetchTopicOffsets(topic)).some((partition) => BigInt(partition.low) > 0n);
}

/** The members of a consumer group (0 when it is empty or does not exist). */
export async function groupMembers(admin: Admin, groupId: string): Promise<number> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups.find((entry) => entry.groupId === groupId);
  return group === undefined || group.state === 'Empty' || group.state === 'Dead' ? 0 : group.members.length;
}

/** Creates a quiet kafkajs client for the demo's own admin requests. */
export function demoKafka(config: PipelineConfig): Kafka {
  return createKafka({ brokers: config.kafka.brokers, clientId: 'sluice-demo', logLevel: logLevel.NOTHING });
}

/**
 * Waits until no other process is in the consumer groups `groups` (the pipeline's sink and source
 * groups; a killed run's members linger until their session times out): up to 45 s, calling
 * `onWait` once with the busy groups, then fails naming them.
 */
export async function waitForIdleGroups(admin: Admin, groups: readonly string[], onWait: (busy: readonly string[]) => void): Promise<void> {
  const deadline = Date.now() + 45_000;
  let told = false;
  for (;;) {
    const busy: string[] = [];
    for (const group of groups) if ((await groupMembers(admin, group)) > 0) busy.push(group);
    if (busy.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`Kafka consumer group(s) ${busy.join(', ')} still have members: another sluice process of this pipeline is running; stop it, then run the demo again`);
    }
    if (!told) onWait(busy);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
