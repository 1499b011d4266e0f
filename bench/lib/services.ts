/**
 * Connections to the three services for the benchmarks, and small timing helpers. Endpoints come
 * from the SLUICE_* variables or default to the local stack, as everywhere else in sluice.
 */
import type { Client } from '@elastic/elasticsearch';
import { logLevel, type Kafka } from 'kafkajs';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import { endpointsFromEnvironment } from '../../src/config/endpoints.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { createElasticsearchClient } from '../../src/sinks/engine/elasticsearch-client.js';
import { createKafka } from '../../src/streams/kafka-client.js';

/** The endpoints in force (local stack unless SLUICE_* variables say otherwise). */
export const endpoints = endpointsFromEnvironment();

/** mysql2 options of the benchmark's MariaDB/MySQL. */
export const mysqlOptions: ConnectionOptions = mysqlConnectionOptions(endpoints.mysqlUrl);

/** A quiet kafkajs client. */
export function benchKafka(clientId = 'sluice-bench'): Kafka {
  return createKafka({ brokers: endpoints.kafkaBrokers, clientId, logLevel: logLevel.NOTHING });
}

/** An Elasticsearch client with a long timeout (bulk loads of large requests). */
export function benchElasticsearch(): Client {
  return createElasticsearchClient({ node: endpoints.elasticsearchNode, requestTimeoutMs: 120_000, maxRetries: 0 });
}

/** A SQL connection (optionally with a default database). */
export function openSql(database?: string): Promise<Connection> {
  return createConnection({ ...mysqlOptions, ...(database === undefined ? {} : { database }) });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds since an arbitrary origin, monotonic. */
export function now(): number {
  return performance.now();
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined/false, and
 * resolves with that value; rejects after `timeoutMs` with `description` in the message.
 */
export async function waitUntil<T>(check: () => Promise<T | undefined | false>, options: { timeoutMs: number; intervalMs?: number; description: string }): Promise<T> {
  const deadline = now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (now() > deadline) throw new Error(`timed out after ${(options.timeoutMs / 1000).toFixed(0)} s waiting for ${options.description}`);
    await sleep(options.intervalMs ?? 100);
  }
}

/** A short unique suffix for database, pipeline, topic and index names (lowercase letters and digits). */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36).padStart(2, '0')}`;
}

/** Writes a progress line to stderr (the report goes to stdout). */
export function note(message: string): void {
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${time}] ${message}\n`);
}
