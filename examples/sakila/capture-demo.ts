import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mysql2/promise';
import { pino } from 'pino';
import { captureSettings } from '../../src/config/capture-settings.js';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import type { ChangeEvent } from '../../src/sources/change-event.js';
import { decodeChangeEvent } from '../../src/streams/avro/change-event-codec.js';
import { MysqlCapture } from '../../src/streams/mysql-capture.js';
import { SchemaTopic } from '../../src/streams/schema-topic.js';
import { changeTopic, schemaTopic } from '../../src/streams/topic-names.js';

/** Message counts of the pipeline's change topics. */
export async function topicCounts(kafka: Kafka, prefix: string): Promise<Array<[string, number]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`) && !topic.includes('.__')).sort();
    const counts: Array<[string, number]> = [];
    for (const topic of topics) counts.push([topic, (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0)]);
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs the Sakila capture until its snapshot is in Kafka (or, when it already was, until it has
 * resumed), makes one live change to film 1 and returns that change as read back from Kafka.
 */
export async function captureAndShowAChange(kafka: Kafka, config: PipelineConfig, sql: Connection): Promise<ChangeEvent> {
  const capture = new MysqlCapture(kafka, captureSettings(config, pino({ level: 'warn' })));
  const controller = new AbortController();
  const running = capture.run(controller.signal);
  try {
    while (capture.stats.lastSaved?.snapshotCompleted !== true) {
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    const marker = `demo ${new Date().toISOString()}`;
    const [rows] = await sql.query('SELECT description FROM sakila.film WHERE film_id = 1');
    const original = (rows as Array<{ description: string | null }>)[0]?.description ?? null;
    await sql.query('UPDATE sakila.film SET description = ? WHERE film_id = 1', [marker]);
    try {
      return await readChange(kafka, config, (event) => event.after?.description === marker);
    } finally {
      await sql.query('UPDATE sakila.film SET description = ? WHERE film_id = 1', [original]);
    }
  } finally {
    controller.abort();
    await running;
  }
}

async function readChange(kafka: Kafka, config: PipelineConfig, wanted: (event: ChangeEvent) => boolean): Promise<ChangeEvent> {
  const prefix = config.kafka.topicPrefix ?? config.pipeline;
  const schemas = new SchemaTopic(kafka, schemaTopic(prefix));
  const consumer = kafka.consumer({ groupId: `sluice-demo-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: changeTopic(prefix, 'sakila', 'film'), fromBeginning: true });
    return await new Promise<ChangeEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the change did not arrive in Kafka within 60 s')), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value === null) return;
            const event = await decodeChangeEvent(message.value, (id) => schemas.resolve(id));
            if (wanted(event)) {
              clearTimeout(timer);
              resolve(event);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
