import ZongJi from '@vlasky/zongji';
import { logLevel, type Consumer, type Kafka } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import { createConnection, type Connection } from 'mysql2/promise';
import { endpointsFromEnvironment } from '../../src/config/endpoints.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { createElasticsearchClient } from '../../src/sinks/engine/elasticsearch-client.js';
import { createKafka } from '../../src/streams/kafka-client.js';
import { uniqueName } from './names.js';

/** The endpoints the integration tests use: the local stack, or the SLUICE_* variables. */
export const endpoints = endpointsFromEnvironment();

/** Things to undo after a test, in reverse order. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];

  /** Registers a step; it runs even when earlier steps fail. */
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Runs every step, last registered first, and rethrows the first failure. */
  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}

/**
 * Starts `run` with `controller`'s signal and returns `stop`, which aborts the controller and
 * waits for the run to end; `cleanup` stops it too, and later calls return at once. A run that
 * fails is reported by the first `stop`, never as an unhandled rejection.
 */
export function startStoppable(cleanup: Cleanup, run: (signal: AbortSignal) => Promise<void>, controller = new AbortController()): () => Promise<void> {
  const running = run(controller.signal);
  running.catch(() => undefined);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    controller.abort();
    await running;
  };
  cleanup.add(stop);
  return stop;
}

/** A connection to the test MariaDB (no database selected), closed by `cleanup`. */
export async function openMysql(cleanup: Cleanup, database?: string): Promise<Connection> {
  const connection = await createConnection({ ...mysqlConnectionOptions(endpoints.mysqlUrl), ...(database === undefined ? {} : { database }) });
  cleanup.add(() => connection.end());
  return connection;
}

/** Creates a database with a unique name, dropped by `cleanup`. */
export async function createTestDatabase(cleanup: Cleanup, prefix = 'test'): Promise<string> {
  const name = uniqueName(prefix);
  const admin = await openMysql(cleanup);
  await admin.query(`CREATE DATABASE \`${name}\``);
  cleanup.add(() => admin.query(`DROP DATABASE IF EXISTS \`${name}\``));
  return name;
}

/** A kafkajs client for the test broker, quiet and with short retries. */
export function testKafka(clientId = uniqueName('test_client')): Kafka {
  return createKafka({
    brokers: endpoints.kafkaBrokers,
    clientId,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

/** A raw Elasticsearch client for assertions on the test node, closed by `cleanup` (engine-facing suites use testEngine). */
export function testElasticsearch(cleanup: Cleanup): Client {
  const client = createElasticsearchClient({ node: endpoints.elasticsearchNode, requestTimeoutMs: 30_000, maxRetries: 1 });
  cleanup.add(() => client.close());
  return client;
}

/** Starts a consumer of `groupId` on `topics` and resolves once it has joined the group; `cleanup` disconnects it. */
export async function joinConsumerGroup(kafka: Kafka, groupId: string, topics: readonly string[], cleanup: Cleanup): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  cleanup.add(() => consumer.disconnect());
  await consumer.subscribe({ topics: [...topics] });
  const joined = new Promise<void>((resolve) => {
    const stopListening = consumer.on(consumer.events.GROUP_JOIN, () => {
      stopListening();
      resolve();
    });
  });
  await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
  await joined;
  return consumer;
}

/** A zongji binlog reader on the test MariaDB (not started yet), stopped by `cleanup`. */
export function testZongji(cleanup: Cleanup): ZongJi {
  const zongji = new ZongJi(mysqlConnectionOptions(endpoints.mysqlUrl));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        zongji.once('stopped', () => resolve());
        zongji.stop();
      }),
  );
  return zongji;
}
