import type { Kafka, Producer } from 'kafkajs';
import { PermanentError } from '../errors.js';
import type { WriterSchema } from './avro/change-event-codec.js';
import { readTopicToEnd } from './read-topic-to-end.js';

/**
 * The pipeline's schema registry: a compacted topic with one message per writer schema
 * (key = schema id in hex, value = the schema's JSON). Writers publish a schema before the first
 * message that uses it; readers resolve an unknown id by reading the topic.
 */
export class SchemaTopic {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  /** Publishes the schema unless this process already knows it is in the topic. */
  async publish(producer: Producer, schema: WriterSchema): Promise<void> {
    if (this.known.has(schema.id)) return;
    await producer.send({ topic: this.topic, acks: -1, messages: [{ key: schema.id, value: schema.json }] });
    this.known.set(schema.id, schema.json);
  }

  /**
   * The JSON of the schema with this id; reads the topic when the id is new to this process. A
   * Kafka failure while reading is thrown as it is (the caller retries it). An id still absent
   * once the whole topic is read is a PermanentError: writers publish a schema (acks = all) before
   * the first message that uses it, so the schema topic was deleted or truncated.
   */
  async resolve(id: string): Promise<string> {
    const cached = this.known.get(id);
    if (cached !== undefined) return cached;
    await readTopicToEnd(this.kafka, this.topic, (message) => {
      const key = message.key?.toString();
      if (key !== undefined && message.value !== null) this.known.set(key, message.value.toString());
    });
    const found = this.known.get(id);
    if (found === undefined) {
      throw new PermanentError(
        `the writer schema ${id} is not in the schema topic ${this.topic} (was the topic deleted or truncated?)`,
        `restore ${this.topic}, or re-snapshot (sluice source --resnapshot) and move the sink past the messages it cannot read (sluice replay --to-offsets)`,
        { context: { schemaId: id, topic: this.topic } },
      );
    }
    return found;
  }
}
