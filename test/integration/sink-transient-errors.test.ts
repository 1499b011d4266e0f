import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import type { DeadLetter } from '../../src/sinks/dead-letters.js';
import { DocumentPipeline } from '../../src/pipeline/document-pipeline.js';
import { readTopicToEnd } from '../../src/streams/read-topic-to-end.js';
import { deadLetterTopic, schemaTopic } from '../../src/streams/topic-names.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, createTestDatabase, endpoints, openMysql, testElasticsearch, testKafka } from '../helpers/services.js';
import { startSluice, streamingPipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

// A transient failure while decoding a page (here: the schema lookup hits a Kafka connection reset,
// as after a broker restart) is retried; it never turns the page's changes into dead letters.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** What kafkajs throws once its own retries on a reset connection are spent. */
function kafkaConnectionReset(): Error {
  const reset = new kafkajs.KafkaJSConnectionError('Connection error: read ECONNRESET', { broker: endpoints.kafkaBrokers[0] ?? '', code: 'ECONNRESET' });
  return new kafkajs.KafkaJSNumberOfRetriesExceeded(reset, { retryCount: 5, retryTime: 1_000 });
}

/**
 * The real Kafka client, except that the first `fetchTopicOffsets` of `topic` (the first step of
 * reading the schema topic) fails with a connection reset. `injected()` counts the failures.
 */
function kafkaFailingOnceOn(kafka: Kafka, topic: string): { kafka: Kafka; injected: () => number } {
  let failures = 0;
  const admin = (...args: Parameters<Kafka['admin']>): Admin => {
    const real = kafka.admin(...args);
    return new Proxy(real, {
      get(target, property, receiver) {
        if (property !== 'fetchTopicOffsets') return Reflect.get(target, property, receiver) as unknown;
        return (name: string) => {
          if (name === topic && failures === 0) {
            failures += 1;
            return Promise.reject(kafkaConnectionReset());
          }
          return target.fetchTopicOffsets(name);
        };
      },
    });
  };
  const wrapped = new Proxy(kafka, {
    get(target, property, receiver) {
      return property === 'admin' ? admin : (Reflect.get(target, property, receiver) as unknown);
    },
  });
  return { kafka: wrapped, injected: () => failures };
}

async function deadLetters(topic: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await readTopicToEnd(testKafka(), topic, (message) => {
    if (message.value !== null) letters.push(JSON.parse(message.value.toString()) as DeadLetter);
  });
  return letters;
}

describe('the sink with a transient failure while decoding', () => {
  it('retries a schema lookup that fails once: the change reaches the index, not the dead-letter topic', async () => {
    const database = await createTestDatabase(cleanup, 'schema_blip');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))');
    await sql.query("INSERT INTO items VALUES (1, 'one')");
    // the schema lookup of a streamed change is what fails: no first load
    const { file, pipeline } = streamingPipelineFile(database, { items: { table: 'items' } });
    const elasticsearch = testElasticsearch(cleanup);
    const engine = testEngine('elasticsearch', cleanup);
    const index = `${pipeline}-items`;
    cleanup.add(() => elasticsearch.indices.delete({ index, ignore_unavailable: true }));
    const source = startSluice(['source', '-c', file], cleanup);

    const config = loadPipelineConfig(file);
    const settings = documentPipelineSettings(config, file, pino({ level: 'silent' }));
    const faulty = kafkaFailingOnceOn(testKafka(), schemaTopic(config.kafka.topicPrefix));
    const sink = new DocumentPipeline(faulty.kafka, engine, {
      ...settings,
      retryPolicy: { ...TEST_RETRY_POLICY, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: Number.POSITIVE_INFINITY },
      sessionTimeoutMs: 10_000,
    });
    const controller = new AbortController();
    const running = sink.run(controller.signal);
    cleanup.add(async () => {
      controller.abort();
      await running;
    });

    // whichever comes first: the document, or the change as a dead letter (today's bug)
    const letterTopic = deadLetterTopic(config.kafka.topicPrefix);
    await waitFor(
      async () => (await readIndexDocuments(engine, index).catch(() => new Map())).has('1') || (await deadLetters(letterTopic).catch(() => [])).length > 0,
      { timeoutMs: 90_000, description: `item 1 indexed or dead-lettered (source output: ${source.output().slice(-1000)})` },
    );
    expect(faulty.injected()).toBe(1);
    expect(await deadLetters(letterTopic)).toEqual([]);
    expect(sink.stats.undecodable).toBe(0);
    const indexed = await readIndexDocuments(engine, index);
    expect(indexed.get('1')).toMatchObject({ id: 1, name: 'one' });

    // later changes keep flowing
    await sql.query("INSERT INTO items VALUES (2, 'two')");
    await waitFor(async () => (await readIndexDocuments(engine, index)).has('2'), { timeoutMs: 60_000, description: 'item 2 indexed' });
    expect(await deadLetters(letterTopic)).toEqual([]);
  }, 180_000);
});
