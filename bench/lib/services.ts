/**
 * Connections to the services for the benchmarks (MariaDB, Kafka, and each search engine through
 * the engine port), and small timing helpers. Endpoints come from the SLUICE_* variables or
 * default to the local stack, as everywhere else in sluice.
 */
import { logLevel, type Kafka } from 'kafkajs';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import { endpointsFromEnvironment } from '../../src/config/endpoints.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { createKafka } from '../../src/streams/kafka-client.js';

/** The endpoints in force (local stack unless SLUICE_* variables say otherwise). */
export const endpoints = endpointsFromEnvironment();

/** mysql2 options of the benchmark's MariaDB/MySQL. */
export const mysqlOptions: ConnectionOptions = mysqlConnectionOptions(endpoints.mysqlUrl);

/** A quiet kafkajs client. */
export function benchKafka(clientId = 'sluice-bench'): Kafka {
  return createKafka({ brokers: endpoints.kafkaBrokers, clientId, logLevel: logLevel.NOTHING });
}

/** The two engines, in the order the bench measures them. */
export const ENGINE_KINDS: readonly EngineKind[] = ['elasticsearch', 'opensearch'];

/** The node of each engine (SLUICE_ES_NODE / SLUICE_OS_NODE, or the local stack). */
export function engineNode(kind: EngineKind): string {
  return kind === 'elasticsearch' ? endpoints.elasticsearchNode : endpoints.opensearchNode;
}

/** The engine port to one engine, with a long timeout (bulk loads of large requests); it never retries. */
export function benchEngine(kind: EngineKind): SearchEngine {
  return createEngine(kind, { engine: kind, node: engineNode(kind), requestTimeoutMs: 120_000 });
}

/** Whether the engine's node answers as that engine (its capabilities), within a few seconds. */
export async function engineReachable(kind: EngineKind): Promise<boolean> {
  const engine = createEngine(kind, { engine: kind, node: engineNode(kind), requestTimeoutMs: 5_000 });
  try {
    await engine.capabilities();
    return true;
  } catch {
    return false;
  } finally {
    await engine.close();
  }
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
