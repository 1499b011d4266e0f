import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import { readTopicToEnd } from './read-topic-to-end.js';

/**
 * Source positions kept in a compacted Kafka topic: key = source id, value = the position as
 * JSON. The last message of a key is the position to resume from.
 */
export class PositionStore<Position> {
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  /** The last saved position of a source, or undefined when it never saved one. */
  async load(sourceId: string): Promise<Position | undefined> {
    let latest: Position | undefined;
    await readTopicToEnd(this.kafka, this.topic, (message) => {
      if (message.key?.toString() !== sourceId) return;
      latest = message.value === null ? undefined : (JSON.parse(message.value.toString()) as Position);
    });
    return latest;
  }

  /** The message that saves a position, to send along with other messages. */
  message(sourceId: string, position: Position): TopicMessages {
    return { topic: this.topic, messages: [{ key: sourceId, value: JSON.stringify(position) }] };
  }

  /** Saves a position; resolves once Kafka acknowledged it on all in-sync replicas. */
  async save(producer: Producer, sourceId: string, position: Position): Promise<void> {
    await producer.send({ topic: this.topic, acks: -1, messages: [{ key: sourceId, value: JSON.stringify(position) }] });
  }

  /** Forgets a source's position (a tombstone), so it starts over with a snapshot. */
  async clear(producer: Producer, sourceId: string): Promise<void> {
    await producer.send({ topic: this.topic, acks: -1, messages: [{ key: sourceId, value: null }] });
  }
}
