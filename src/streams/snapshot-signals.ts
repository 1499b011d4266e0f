import { Partitioners, type Consumer, type Kafka } from 'kafkajs';
import { ensureTopics } from './ensure-topics.js';
import { signalTopic } from './topic-names.js';

/** A request to snapshot tables again while the source keeps streaming. */
export interface SnapshotSignal {
  readonly type: 'snapshot';
  /** `db.table` names. */
  readonly tables: readonly string[];
  readonly requestedAtMs: number;
}

/** Publishes a snapshot request for a running (or the next) source of the pipeline. */
export async function requestSnapshot(kafka: Kafka, topicPrefix: string, tables: readonly string[], replicationFactor = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: signalTopic(topicPrefix), partitions: 1, replicationFactor }]);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const signal: SnapshotSignal = { type: 'snapshot', tables, requestedAtMs: Date.now() };
    await producer.send({ topic: signalTopic(topicPrefix), acks: -1, messages: [{ value: JSON.stringify(signal) }] });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Delivers the snapshot requests of a pipeline to its source, each once: a consumer group per
 * pipeline commits a request after `onSignal` resolved (the source has saved it by then).
 */
export class SnapshotSignalListener {
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topicPrefix: string,
    private readonly pipeline: string,
    private readonly replicationFactor = 1,
  ) {}

  /** Starts listening; requests made while the source was down are delivered too. */
  start(onSignal: (signal: SnapshotSignal) => Promise<void>): Promise<void> {
    this.starting = this.listen(onSignal);
    return this.starting;
  }

  /** Stops listening, also when called while `start` is still joining the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    await this.consumer?.disconnect();
  }

  private async listen(onSignal: (signal: SnapshotSignal) => Promise<void>): Promise<void> {
    const topic = signalTopic(this.topicPrefix);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [{ topic, partitions: 1, replicationFactor: this.replicationFactor }]);
    } finally {
      await admin.disconnect();
    }
    if (this.stopped) return;
    this.consumer = this.kafka.consumer({ groupId: `${this.pipeline}.source-signals`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await this.consumer.connect();
    if (this.stopped) return;
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value === null) return;
        const signal = JSON.parse(message.value.toString()) as SnapshotSignal;
        if (signal.type === 'snapshot' && Array.isArray(signal.tables)) await onSignal(signal);
      },
    });
  }

}
