import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { RetryPolicy } from '../../src/retry.js';
import { BulkChannel, type BulkChannelOptions, type BulkOperation, type BulkOutcome } from '../../src/sinks/elasticsearch/bulk-channel.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { ENGINE_NODES, testEngine, testEngines } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const policy: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2, maxAttempts: 5, maxElapsedMs: 10_000, jitter: 0.5 };

async function createIndex(client: SearchEngine): Promise<string> {
  const index = uniqueName('bulk_channel');
  await client.createIndex(index, {
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: { dynamic: 'strict', properties: { count: { type: 'integer' }, name: { type: 'keyword' } } },
  });
  cleanup.add(() => client.deleteIndex(index));
  return index;
}

function openChannel(client: SearchEngine, options: Partial<BulkChannelOptions> = {}) {
  const dead: Array<{ operation: BulkOperation; reason: string; status: number }> = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  const onRejected = vi.fn((operation: BulkOperation, reason: string, status: number) => {
    dead.push({ operation, reason, status });
    return Promise.resolve();
  });
  const channel = new BulkChannel(client, { retryPolicy: policy, logger, onRejected, ...options });
  cleanup.add(async () => {
    channel.abort();
    await channel.close();
  });
  return { channel, dead, onRejected, warnings };
}

async function count(client: SearchEngine, index: string): Promise<number> {
  await client.refresh(index);
  return client.count(index);
}

/**
 * A TCP proxy to the engine that destroys every connection until `openAfterMs`, then forwards.
 * Stands in for a node that is down and comes back.
 */
async function flakyProxy(kind: EngineKind, openAfterMs: number): Promise<{ url: string; refused: () => number }> {
  const target = new URL(ENGINE_NODES[kind]);
  const sockets = new Set<Socket>();
  let refused = 0;
  let open = false;
  const timer = setTimeout(() => (open = true), openAfterMs);
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!open) {
      refused += 1;
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(async () => {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, refused: () => refused };
}

describe.each(testEngines())('BulkChannel against %s', (kind) => {
  it('indexes 5,000 documents and applies versioned deletes and same-id sequences in order', async () => {
    const client = testEngine(kind, cleanup);
    const index = await createIndex(client);
    const { channel, dead } = openChannel(client, { maxDocuments: 500, concurrency: 2 });

    const outcomes: Array<Promise<BulkOutcome>> = [];
    for (let position = 0; position < 5_000; position += 1) {
      await channel.waitForCapacity();
      outcomes.push(channel.write({ kind: 'index', index, id: String(position), document: { count: position, name: `doc ${position}` }, version: 1 }));
    }
    for (let position = 0; position < 10; position += 1) outcomes.push(channel.write({ kind: 'delete', index, id: String(position), version: 2 }));
    outcomes.push(channel.write({ kind: 'delete', index, id: 'never-written', version: 2 }));
    // unversioned writes on one id: only their order decides the result
    outcomes.push(channel.write({ kind: 'index', index, id: 'sequence', document: { count: 1 } }));
    outcomes.push(channel.write({ kind: 'delete', index, id: 'sequence' }));
    outcomes.push(channel.write({ kind: 'index', index, id: 'sequence', document: { count: 3 } }));
    await channel.close();

    const settled = await Promise.all(outcomes);
    expect(settled.filter((outcome) => outcome.status !== 'acknowledged')).toEqual([]);
    expect(dead).toEqual([]);
    expect(await count(client, index)).toBe(5_000 - 10 + 1);
    const sequence = await client.get<{ count: number }>(index, 'sequence');
    expect(sequence?._source.count).toBe(3);
    expect(await client.get(index, '3')).toBeUndefined();
    expect(channel.stats).toMatchObject({ documents: settled.length, superseded: 0, rejected: 0 });
    expect(channel.stats.requests).toBeGreaterThanOrEqual(10);
  });

  it('sends multi-byte text (ids and documents, given as JSON or as objects) as the engine reads it back', async () => {
    const client = testEngine(kind, cleanup);
    const index = await createIndex(client);
    const { channel, dead } = openChannel(client, { maxDocuments: 50 });
    const texts = ['café', '東京', 'emoji 😀 and \u2028', 'quote " and backslash \\', 'ascii'];
    const nameAt = (position: number): string => `${texts[position % texts.length]} ${position}`;
    const idAt = (position: number): string => `${texts[position % texts.length].slice(0, 4)}-${position}`;
    const outcomes: Array<Promise<BulkOutcome>> = [];
    for (let position = 0; position < 200; position += 1) {
      const [id, name] = [idAt(position), nameAt(position)];
      const json = JSON.stringify({ count: position, name });
      outcomes.push(
        channel.write(position % 2 === 0 ? { kind: 'index', index, id, document: { count: position, name } } : { kind: 'index', index, id, json, jsonBytes: Buffer.byteLength(json) }),
      );
    }
    await channel.close();
    expect((await Promise.all(outcomes)).filter((outcome) => outcome.status !== 'acknowledged')).toEqual([]);
    expect(dead).toEqual([]);
    expect(await count(client, index)).toBe(200);
    for (const position of [0, 1, 2, 3, 4, 197, 198, 199]) {
      const stored = await client.get<{ count: number; name: string }>(index, idAt(position));
      expect(stored?._source).toEqual({ count: position, name: nameAt(position) });
    }
  });

  it('dead-letters a document the mapping refuses and indexes the others', async () => {
    const client = testEngine(kind, cleanup);
    const index = await createIndex(client);
    const { channel, dead, onRejected } = openChannel(client);
    const bad: BulkOperation = { kind: 'index', index, id: 'bad', document: { count: 'not a number' } };
    const outcomes = [
      channel.write({ kind: 'index', index, id: 'one', document: { count: 1 } }),
      channel.write(bad),
      channel.write({ kind: 'index', index, id: 'two', document: { count: 2 } }),
    ];
    await channel.flush();
    const [one, rejected, two] = await Promise.all(outcomes);
    expect([one, two]).toEqual([{ status: 'acknowledged' }, { status: 'acknowledged' }]);
    expect(rejected).toMatchObject({ status: 'rejected', httpStatus: 400 });
    expect(rejected?.status === 'rejected' ? rejected.reason : '').toMatch(/mapper_parsing|document_parsing/);
    expect(onRejected).toHaveBeenCalledTimes(1);
    expect(dead[0]?.operation).toEqual(bad);
    expect(dead[0]?.reason).toMatch(/failed to parse field \[count\]/);
    expect(await count(client, index)).toBe(2);
  });

  it('reports a write with a lower external version as superseded and keeps the newer document', async () => {
    const client = testEngine(kind, cleanup);
    const index = await createIndex(client);
    const { channel } = openChannel(client);
    await expect(channel.write({ kind: 'index', index, id: 'film', document: { count: 5 }, version: 5 })).resolves.toEqual({ status: 'acknowledged' });
    const stale = channel.write({ kind: 'index', index, id: 'film', document: { count: 3 }, version: 3 });
    const staleDelete = channel.write({ kind: 'delete', index, id: 'film', version: 4 });
    const same = channel.write({ kind: 'index', index, id: 'film', document: { count: 5 }, version: 5 });
    await channel.flush();
    expect(await Promise.all([stale, staleDelete, same])).toEqual([{ status: 'superseded' }, { status: 'superseded' }, { status: 'acknowledged' }]);
    const film = await client.get<{ count: number }>(index, 'film');
    expect([film?._version, film?._source.count]).toEqual([5, 5]);
    expect(channel.stats.superseded).toBe(2);
  });

  it('retries through an unreachable node and loses nothing once it is back', async () => {
    const client = testEngine(kind, cleanup);
    const index = await createIndex(client);
    const proxy = await flakyProxy(kind, 2_000);
    const flaky = createEngine(kind, { engine: kind, node: proxy.url, requestTimeoutMs: 10_000 });
    cleanup.add(() => flaky.close());
    const { channel, dead, warnings } = openChannel(flaky, { maxDocuments: 40, concurrency: 2, maxAgeMs: 10 });

    const outcomes: Array<Promise<BulkOutcome>> = [];
    for (let position = 0; position < 300; position += 1) {
      await channel.waitForCapacity();
      outcomes.push(channel.write({ kind: 'index', index, id: String(position), document: { count: position } }));
    }
    await channel.close();

    expect(new Set((await Promise.all(outcomes)).map((outcome) => outcome.status))).toEqual(new Set(['acknowledged']));
    expect(dead).toEqual([]);
    expect(proxy.refused()).toBeGreaterThan(0);
    expect(channel.stats.retriedRequests).toBeGreaterThan(0);
    expect(warnings.some((line) => line.includes('bulk request failed, retrying'))).toBe(true);
    expect(await count(client, index)).toBe(300);
  });
});
