import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { retry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry.js';

/** The Kafka message that caused a document to be written (or a message that could not be read). */
export interface TriggerReference {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** `db.table` of the change, when it could be decoded. */
  readonly table?: string;
  readonly op?: string;
  /** The Kafka key (the row's primary key as JSON). */
  readonly key?: string | null;
}

/** One dead letter: what failed, why, and what triggered it. */
export interface DeadLetter {
  readonly kind: 'rejected-document' | 'undecodable-message';
  readonly pipeline: string;
  readonly reason: string;
  readonly httpStatus?: number;
  readonly index?: string;
  readonly documentId?: string;
  /** The rejected document's source. */
  readonly document?: Record<string, unknown>;
  readonly trigger?: TriggerReference;
  /** The undecodable message's value, base64. */
  readonly value?: string | null;
  readonly atMs: number;
}

/**
 * Writes dead letters to a Kafka topic (JSON values, keyed by document id or message position),
 * durably: `write` resolves only once Kafka acknowledged the letter (acks = all) and retries
 * with backoff until then, so the page that produced the letter is committed only after it. With
 * `alsoTo` (the dead-letter index), the letter is then written there too, with the same retries.
 */
export class DeadLetterWriter {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  /** Letters written so far. */
  written = 0;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    private readonly logger: Logger,
    private readonly retryPolicy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY },
    /** Called once Kafka has a letter (metrics, the status page). */
    private readonly onWritten: (letter: DeadLetter) => void = () => undefined,
    /** Where letters are also kept for search (the dead-letter index), after the topic has them; written with the same retries. */
    private readonly alsoTo?: { write(letter: DeadLetter): Promise<void> },
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  /** Writes one dead letter; resolves when Kafka has it. */
  async write(letter: DeadLetter): Promise<void> {
    const key = letter.documentId ?? (letter.trigger === undefined ? null : `${letter.trigger.topic}:${letter.trigger.partition}:${letter.trigger.offset}`);
    this.logger.warn({ kind: letter.kind, reason: letter.reason, index: letter.index, documentId: letter.documentId, trigger: letter.trigger }, 'dead letter');
    await retry(
      async () => {
        this.connected ??= this.producer.connect();
        await this.connected;
        await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key, value: JSON.stringify(letter) }] });
      },
      {
        policy: this.retryPolicy,
        what: `writing a dead letter to ${this.topic}`,
        onRetry: (error, attempt, delayMs) => this.logger.warn({ attempt, delayMs, err: error }, 'writing a dead letter failed; retrying'),
      },
    );
    const { alsoTo } = this;
    if (alsoTo !== undefined) {
      await retry(() => alsoTo.write(letter), {
        policy: this.retryPolicy,
        what: 'writing a dead letter to the dead-letter index',
        onRetry: (error, attempt, delayMs) => this.logger.warn({ attempt, delayMs, err: error }, 'writing a dead letter to the index failed; retrying'),
      });
    }
    this.written += 1;
    this.onWritten(letter);
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    if (this.connected !== undefined) await this.producer.disconnect();
  }
}
