import { type Admin, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import type { Row } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import type { OutgoingChange } from '../model/outgoing-change.js';
import { encodeChangeEvent, writerSchema, type WriterSchema } from './avro/change-event-codec.js';
import { changeTopicConfig, checkChangeTopics, DEFAULT_CHANGE_TOPIC_POLICY, type ChangeTopicPolicy } from './change-topic-policy.js';
import { ensureTopics, type TopicSpec } from './ensure-topics.js';
import { KeyHashPartitioner } from './key-partitioner.js';
import { SchemaTopic } from './schema-topic.js';
import { changeTopic, positionTopic, schemaTopic } from './topic-names.js';

export type { OutgoingChange } from '../model/outgoing-change.js';

/** Settings of a {@link ChangeWriter}. */
export interface ChangeWriterSettings {
  readonly pipeline: string;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Upper bound of one produce request's payload; larger writes are split (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** How change topics keep messages (kafka.topics); default: compacted by primary key, tombstones after deletes. */
  readonly changeTopics?: ChangeTopicPolicy;
  /** Warnings about existing change topics whose configuration differs from `changeTopics`. */
  readonly logger?: Logger;
}

/** Largest single change message the change topics accept (topic max.message.bytes). */
export const MAX_CHANGE_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The message key of a change: the primary-key columns and values as JSON, in key order
 * (`{"film_id":1}`, composite keys `{"actor_id":1,"film_id":23}`), so every change of a row lands
 * in the same partition, in order. Tables without a primary key get a null key, and their topic
 * has a single partition so their order still holds.
 */
export function changeKey(primaryKey: readonly string[], row: Row | null): string | null {
  if (primaryKey.length === 0 || row === null) return null;
  // built by hand: a JavaScript object would move digit-only column names first
  const entries = primaryKey.map((column) => {
    const value = row[column];
    return `${JSON.stringify(column)}:${JSON.stringify(Buffer.isBuffer(value) ? value.toString('hex') : (value ?? null))}`;
  });
  return `{${entries.join(',')}}`;
}

/**
 * Writes change events to their table topics (`<prefix>.<db>.<table>`), framed Avro values with
 * schemas published to the schema topic first, in the partition kafkajs' DefaultPartitioner would
 * choose (murmur2 of the key, {@link KeyHashPartitioner}). One idempotent producer with a single request in
 * flight keeps per-row order through retries; `write` resolves once Kafka acknowledged every
 * message on all in-sync replicas.
 */
export class ChangeWriter {
  readonly schemas: SchemaTopic;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly knownTopics = new Set<string>();
  private readonly writerSchemas = new WeakMap<readonly ColumnDefinition[], WriterSchema>();
  /** Writer schemas by table and column shape: one per table version, however many column arrays describe it. */
  private readonly schemasBySignature = new Map<string, WriterSchema>();

  constructor(
    kafka: Kafka,
    private readonly settings: ChangeWriterSettings,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: KeyHashPartitioner });
    this.admin = kafka.admin();
    this.schemas = new SchemaTopic(kafka, schemaTopic(settings.topicPrefix));
  }

  /** The producer, also used to save positions in order with the events. */
  get kafkaProducer(): Producer {
    return this.producer;
  }

  /** Connects and creates the schema and position topics when missing. */
  async connect(): Promise<void> {
    await this.producer.connect();
    await this.admin.connect();
    const compacted = { partitions: 1, replicationFactor: this.settings.replicationFactor, compacted: true };
    await ensureTopics(this.admin, [
      { topic: this.schemas.topic, ...compacted },
      { topic: positionTopic(this.settings.topicPrefix), ...compacted },
    ]);
  }

  /**
   * Creates the topics of these tables when missing, so consumers can subscribe before the
   * first change arrives.
   */
  async ensureTableTopics(tables: ReadonlyArray<{ readonly db: string; readonly table: string; readonly primaryKey: readonly string[] }>): Promise<void> {
    const topics = tables
      .map((info) => ({ topic: changeTopic(this.settings.topicPrefix, info.db, info.table), hasKey: info.primaryKey.length > 0 }))
      .filter(({ topic }) => !this.knownTopics.has(topic));
    const created = new Set(await ensureTopics(this.admin, topics.map(({ topic, hasKey }) => this.tableTopicSpec(topic, hasKey))));
    await this.checkExisting(topics.filter(({ topic }) => !created.has(topic)));
    for (const { topic } of topics) this.knownTopics.add(topic);
  }

  /**
   * Sends the changes in order, in requests of at most `maxRequestBytes`, and resolves when all
   * are acknowledged. `trailer` messages (the saved position of earlier, already acknowledged
   * changes) ride along in the first request.
   */
  async write(changes: readonly OutgoingChange[], trailer: readonly TopicMessages[] = []): Promise<void> {
    const maxBytes = this.settings.maxRequestBytes ?? 1024 * 1024;
    let request = new Map<string, Message[]>(trailer.map((entry) => [entry.topic, [...entry.messages]]));
    let requestBytes = 0;
    const flush = async (): Promise<void> => {
      if (request.size === 0) return;
      await this.producer.sendBatch({ acks: -1, topicMessages: [...request].map(([topic, messages]) => ({ topic, messages })) });
      request = new Map();
      requestBytes = 0;
    };
    for (const change of changes) {
      const { db, table } = change.event.source;
      const topic = changeTopic(this.settings.topicPrefix, db, table);
      if (!this.knownTopics.has(topic)) await this.ensureTableTopic(topic, change.primaryKey.length > 0);
      const schema = this.writerSchemas.get(change.columns) ?? (await this.publishSchema(db, table, change.columns));
      const value = encodeChangeEvent(schema, change.event);
      if (requestBytes > 0 && requestBytes + value.length > maxBytes) await flush();
      const messages = request.get(topic) ?? [];
      const text = changeKey(change.primaryKey, change.event.after ?? change.event.before);
      // bytes once: the partitioner hashes them and the record writes them without converting again
      const key = text === null ? null : Buffer.from(text);
      messages.push({ key, value, timestamp: String(change.event.source.tsMs) });
      // a tombstone after a delete lets compaction forget the row (Debezium does the same)
      if (change.event.op === 'd' && key !== null && this.tombstones) messages.push({ key, value: null, timestamp: String(change.event.source.tsMs) });
      request.set(topic, messages);
      requestBytes += value.length;
    }
    await flush();
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private async ensureTableTopic(topic: string, hasKey: boolean): Promise<void> {
    const created = await ensureTopics(this.admin, [this.tableTopicSpec(topic, hasKey)]);
    if (created.length === 0) await this.checkExisting([{ topic, hasKey }]);
    this.knownTopics.add(topic);
  }

  private get policy(): ChangeTopicPolicy {
    return this.settings.changeTopics ?? DEFAULT_CHANGE_TOPIC_POLICY;
  }

  private get tombstones(): boolean {
    return this.policy.tombstones && this.policy.cleanupPolicy !== 'delete';
  }

  private tableTopicSpec(topic: string, hasKey: boolean): TopicSpec {
    return {
      topic,
      partitions: hasKey ? this.settings.partitions : 1,
      replicationFactor: this.settings.replicationFactor,
      maxMessageBytes: MAX_CHANGE_MESSAGE_BYTES,
      config: changeTopicConfig(this.policy, hasKey),
    };
  }

  /** Warns about existing change topics whose retention differs from the policy (a failed check is only logged). */
  private async checkExisting(topics: ReadonlyArray<{ readonly topic: string; readonly hasKey: boolean }>): Promise<void> {
    const logger = this.settings.logger;
    if (logger === undefined || topics.length === 0) return;
    await checkChangeTopics(this.admin, topics, this.policy, logger).catch((error: unknown) => logger.warn({ err: error }, 'could not check the configuration of the change topics'));
  }

  private async publishSchema(db: string, table: string, columns: readonly ColumnDefinition[]): Promise<WriterSchema> {
    // zongji hands out a new column array per transaction: the schema is found again by its shape
    const signature = `${db}\u0000${table}\u0000${JSON.stringify(columns)}`;
    let schema = this.schemasBySignature.get(signature);
    if (schema === undefined) {
      schema = writerSchema(this.settings.pipeline, db, table, columns);
      await this.schemas.publish(this.producer, schema);
      this.schemasBySignature.set(signature, schema);
    }
    this.writerSchemas.set(columns, schema);
    return schema;
  }

}
