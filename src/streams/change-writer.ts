import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { ChangeEvent, Row } from '../sources/change-event.js';
import type { ColumnDefinition } from '../sources/mysql/column-definition.js';
import { encodeChangeEvent, writerSchema, type WriterSchema } from './avro/change-event-codec.js';
import { ensureTopics } from './ensure-topics.js';
import { SchemaTopic } from './schema-topic.js';
import { changeTopic, positionTopic, schemaTopic } from './topic-names.js';

/** A change event ready for Kafka: the event, the columns it was written with and its table's primary key. */
export interface OutgoingChange {
  readonly event: ChangeEvent;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
}

/** Settings of a {@link ChangeWriter}. */
export interface ChangeWriterSettings {
  readonly pipeline: string;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

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
 * schemas published to the schema topic first. One idempotent producer with a single request in
 * flight keeps per-row order through retries; `write` resolves once Kafka acknowledged every
 * message on all in-sync replicas.
 */
export class ChangeWriter {
  readonly schemas: SchemaTopic;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly knownTopics = new Set<string>();
  private readonly writerSchemas = new Map<string, WriterSchema>();

  constructor(
    kafka: Kafka,
    private readonly settings: ChangeWriterSettings,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
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
    const specs = tables
      .map((info) => ({ topic: changeTopic(this.settings.topicPrefix, info.db, info.table), hasKey: info.primaryKey.length > 0 }))
      .filter(({ topic }) => !this.knownTopics.has(topic))
      .map(({ topic, hasKey }) => ({ topic, partitions: hasKey ? this.settings.partitions : 1, replicationFactor: this.settings.replicationFactor }));
    await ensureTopics(this.admin, specs);
    for (const spec of specs) this.knownTopics.add(spec.topic);
  }

  /** Sends the changes in order and resolves when all are acknowledged. */
  async write(changes: readonly OutgoingChange[]): Promise<void> {
    if (changes.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const change of changes) {
      const { db, table } = change.event.source;
      const topic = changeTopic(this.settings.topicPrefix, db, table);
      await this.ensureTableTopic(topic, change.primaryKey.length > 0);
      const schema = await this.schemaFor(db, table, change.columns);
      const messages = byTopic.get(topic) ?? [];
      messages.push({
        key: changeKey(change.primaryKey, change.event.after ?? change.event.before),
        value: encodeChangeEvent(schema, change.event),
        timestamp: String(change.event.source.tsMs),
      });
      byTopic.set(topic, messages);
    }
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private async ensureTableTopic(topic: string, hasKey: boolean): Promise<void> {
    if (this.knownTopics.has(topic)) return;
    await ensureTopics(this.admin, [
      { topic, partitions: hasKey ? this.settings.partitions : 1, replicationFactor: this.settings.replicationFactor },
    ]);
    this.knownTopics.add(topic);
  }

  private async schemaFor(db: string, table: string, columns: readonly ColumnDefinition[]): Promise<WriterSchema> {
    const cacheKey = JSON.stringify([db, table, columns]);
    let schema = this.writerSchemas.get(cacheKey);
    if (schema === undefined) {
      schema = writerSchema(this.settings.pipeline, db, table, columns);
      await this.schemas.publish(this.producer, schema);
      this.writerSchemas.set(cacheKey, schema);
    }
    return schema;
  }
}
