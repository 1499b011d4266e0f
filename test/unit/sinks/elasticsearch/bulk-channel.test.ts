import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PermanentError, SluiceError } from '../../../../src/errors.js';
import type { RetryPolicy } from '../../../../src/retry.js';
import { BulkChannel, type BulkChannelOptions, type BulkOperation, type BulkOutcome } from '../../../../src/sinks/elasticsearch/bulk-channel.js';
import { EngineError, responseError as engineResponseError } from '../../../../src/sinks/engine/engine-error.js';
import type { BulkResult, EngineErrorCause, SearchEngine } from '../../../../src/sinks/engine/search-engine.js';
import { TEST_RETRY_POLICY } from '../../../helpers/retry-timings.js';

/** One operation as the fake Elasticsearch parsed it from the NDJSON body. */
interface SentOperation {
  readonly action: 'index' | 'delete';
  readonly index: string;
  readonly id: string;
  readonly version?: number;
  readonly versionType?: string;
  readonly document?: Record<string, unknown>;
}

type ItemStatus = { status: number; error?: EngineErrorCause };
type Responder = (operations: SentOperation[], call: number) => BulkResult | Promise<BulkResult>;

function parseBody(body: string): SentOperation[] {
  const lines = body.split('\n');
  expect(lines.pop()).toBe('');
  const operations: SentOperation[] = [];
  for (let position = 0; position < lines.length; position += 1) {
    const action = JSON.parse(lines[position]) as Record<'index' | 'delete', { _index: string; _id: string; version?: number; version_type?: string } | undefined>;
    const kind = action.index === undefined ? 'delete' : 'index';
    const meta = (action.index ?? action.delete)!;
    const document = kind === 'index' ? (JSON.parse(lines[(position += 1)]) as Record<string, unknown>) : undefined;
    operations.push({ action: kind, index: meta._index, id: meta._id, version: meta.version, versionType: meta.version_type, document });
  }
  return operations;
}

/** An engine whose bulk parses the body and answers with `responder`; it records every call. */
function fakeElasticsearch(responder: Responder = (operations) => respond(operations)) {
  const calls: SentOperation[][] = [];
  const bodies: string[] = [];
  const requestOptions: unknown[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const bulk = async (sent: string | Buffer, options: unknown): Promise<BulkResult> => {
    const body = typeof sent === 'string' ? sent : sent.toString('utf8');
    const operations = parseBody(body);
    calls.push(operations);
    bodies.push(body);
    requestOptions.push(options);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await responder(operations, calls.length);
    } finally {
      inFlight -= 1;
    }
  };
  return { client: { bulk } as unknown as SearchEngine, calls, bodies, requestOptions, maxInFlight: () => maxInFlight };
}

/** A bulk response: 201/200 for every operation unless `status` says otherwise. */
function respond(operations: SentOperation[], status: (operation: SentOperation) => ItemStatus | undefined = () => undefined): BulkResult {
  const items = operations.map((operation) => status(operation) ?? { status: operation.action === 'index' ? 201 : 200 });
  return { errors: items.some((item) => item.status >= 300), items };
}

function responseError(statusCode: number, type = 'some_exception'): Error {
  return engineResponseError('elasticsearch', 'POST /_bulk', statusCode, { error: { type, reason: `${type} happened` }, status: statusCode });
}

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, warnings: (message: string) => lines.filter((line) => line.msg === message) };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((onResolve) => (resolve = onResolve));
  return { promise, resolve };
}

const policy: RetryPolicy = { ...TEST_RETRY_POLICY, initialDelayMs: 1, maxDelayMs: 4, maxAttempts: 3, jitter: 0 };
const channels: BulkChannel[] = [];

function channel(client: SearchEngine, options: Partial<BulkChannelOptions> = {}) {
  const log = captureLogger();
  const rejected: Array<[BulkOperation, string, number]> = [];
  const onRejected = vi.fn((operation: BulkOperation, reason: string, status: number) => {
    rejected.push([operation, reason, status]);
    return Promise.resolve();
  });
  const created = new BulkChannel(client, { maxAgeMs: 60_000, retryPolicy: policy, logger: log.logger, onRejected, ...options });
  channels.push(created);
  return { channel: created, rejected, onRejected, warnings: log.warnings };
}

const doc = (id: string, document: Record<string, unknown> = { title: `film ${id}` }, version?: number): BulkOperation => ({
  kind: 'index',
  index: 'films',
  id,
  document,
  ...(version === undefined ? {} : { version }),
});

/** Lets every pending promise callback run. */
const settleMicrotasks = () => new Promise((resolve) => setImmediate(resolve));

afterEach(async () => {
  vi.useRealTimers();
  for (const created of channels.splice(0)) created.abort();
  await settleMicrotasks();
});

describe('BulkChannel batching', () => {
  it('sends full batches of maxDocuments at once and the rest on flush', async () => {
    const es = fakeElasticsearch();
    const { channel: bulk } = channel(es.client, { maxDocuments: 3 });
    const outcomes = ['1', '2', '3', '4', '5', '6', '7'].map((id) => bulk.write(doc(id)));
    await settleMicrotasks();
    expect(es.calls.map((call) => call.map((operation) => operation.id))).toEqual([['1', '2', '3'], ['4', '5', '6']]);
    await bulk.flush();
    expect(es.calls.map((call) => call.length)).toEqual([3, 3, 1]);
    expect(await Promise.all(outcomes)).toEqual(Array(7).fill({ status: 'acknowledged' }));
    expect((es.requestOptions[0] as { signal?: unknown }).signal).toBeInstanceOf(AbortSignal);
    expect(bulk.stats).toMatchObject({ requests: 3, documents: 7, retriedRequests: 0, rejected: 0 });
  });

  it('sends the operations as NDJSON, multi-byte text and given JSON included, and counts their UTF-8 bytes', async () => {
    const es = fakeElasticsearch();
    const { channel: bulk } = channel(es.client);
    const text = 'café 東京 😀 \u2028 "quoted" \\';
    const json = JSON.stringify({ title: text, n: 1 });
    const outcomes = [
      bulk.write(doc('é1', { title: text })),
      bulk.write({ kind: 'index', index: 'films', id: '2', json, jsonBytes: Buffer.byteLength(json), version: 7 }),
      bulk.write({ kind: 'delete', index: 'films', id: '3' }),
    ];
    await bulk.flush();
    expect(await Promise.all(outcomes)).toEqual(Array(3).fill({ status: 'acknowledged' }));
    const expected = [
      `${JSON.stringify({ index: { _index: 'films', _id: 'é1' } })}\n${JSON.stringify({ title: text })}\n`,
      `${JSON.stringify({ index: { _index: 'films', _id: '2', version: 7, version_type: 'external_gte' } })}\n${json}\n`,
      `${JSON.stringify({ delete: { _index: 'films', _id: '3' } })}\n`,
    ].join('');
    expect(es.bodies).toEqual([expected]);
    expect(bulk.stats.bytes).toBe(Buffer.byteLength(expected));
  });

  it('splits by bytes and sends an operation larger than maxBytes alone', async () => {
    const es = fakeElasticsearch();
    const small = (id: string) => doc(id, { text: 'x'.repeat(100) });
    const oneSmall = Buffer.byteLength(`${JSON.stringify({ index: { _index: 'films', _id: 'a' } })}\n${JSON.stringify({ text: 'x'.repeat(100) })}\n`);
    const { channel: bulk } = channel(es.client, { maxBytes: oneSmall * 2 });
    const outcomes = [small('a'), small('b'), small('c'), doc('huge', { text: 'y'.repeat(1000) }), small('d')].map((operation) => bulk.write(operation));
    await bulk.flush();
    expect(es.calls.map((call) => call.map((operation) => operation.id))).toEqual([['a', 'b'], ['c'], ['huge'], ['d']]);
    expect(await Promise.all(outcomes)).toEqual(Array(5).fill({ status: 'acknowledged' }));
  });

  it('sends a partial buffer once maxAgeMs has passed', async () => {
    vi.useFakeTimers();
    const es = fakeElasticsearch();
    const { channel: bulk } = channel(es.client, { maxAgeMs: 100 });
    const outcome = bulk.write(doc('1'));
    await vi.advanceTimersByTimeAsync(99);
    expect(es.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(es.calls).toHaveLength(1);
    await expect(outcome).resolves.toEqual({ status: 'acknowledged' });
  });

  it('serializes versioned operations with version_type external_gte', async () => {
    const es = fakeElasticsearch();
    const { channel: bulk } = channel(es.client);
    void bulk.write(doc('1', { n: 1 }, 7));
    void bulk.write({ kind: 'delete', index: 'films', id: '2', version: 3 });
    void bulk.write({ kind: 'delete', index: 'films', id: '3' });
    await bulk.flush();
    expect(es.calls[0]).toEqual([
      { action: 'index', index: 'films', id: '1', version: 7, versionType: 'external_gte', document: { n: 1 } },
      { action: 'delete', index: 'films', id: '2', version: 3, versionType: 'external_gte', document: undefined },
      { action: 'delete', index: 'films', id: '3', version: undefined, versionType: undefined, document: undefined },
    ]);
  });
});

describe('BulkChannel flow control', () => {
  it('keeps at most `concurrency` requests in flight', async () => {
    const gates: Array<() => void> = [];
    const es = fakeElasticsearch(async (operations) => {
      const gate = deferred();
      gates.push(gate.resolve);
      await gate.promise;
      return respond(operations);
    });
    const { channel: bulk } = channel(es.client, { maxDocuments: 1, concurrency: 2 });
    const outcomes = ['1', '2', '3', '4', '5'].map((id) => bulk.write(doc(id)));
    await settleMicrotasks();
    expect(es.calls).toHaveLength(2);
    gates.shift()!();
    await vi.waitFor(() => expect(es.calls).toHaveLength(3));
    while (es.calls.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await settleMicrotasks();
    }
    await Promise.all(outcomes);
    expect(es.maxInFlight()).toBe(2);
  });

  it('holds waitForCapacity while buffered and in-flight bytes reach maxBufferedBytes', async () => {
    const gate = deferred();
    const es = fakeElasticsearch(async (operations) => {
      await gate.promise;
      return respond(operations);
    });
    const { channel: bulk } = channel(es.client, { maxBufferedBytes: 150 });
    await bulk.waitForCapacity();
    void bulk.write(doc('1', { text: 'x'.repeat(100) }));
    void bulk.write(doc('2', { text: 'x'.repeat(100) }));
    let resumed = false;
    const waiting = bulk.waitForCapacity().then(() => (resumed = true));
    await settleMicrotasks();
    expect(resumed).toBe(false);
    expect(es.calls).toHaveLength(1); // a waiter makes the partial buffer go at once
    gate.resolve();
    await waiting;
    expect(resumed).toBe(true);
  });

  it('holds waitForCapacity while unsettled operations reach maxBufferedDocuments, whatever their bytes', async () => {
    const gate = deferred();
    const es = fakeElasticsearch(async (operations) => {
      await gate.promise;
      return respond(operations);
    });
    const { channel: bulk } = channel(es.client, { maxDocuments: 2, concurrency: 1, maxBufferedDocuments: 3 });
    const outcomes = [bulk.write(doc('1', { n: 1 })), bulk.write(doc('2', { n: 2 }))];
    await bulk.waitForCapacity();
    outcomes.push(bulk.write(doc('3', { n: 3 })));
    let resumed = false;
    const waiting = bulk.waitForCapacity().then(() => (resumed = true));
    await settleMicrotasks();
    expect(resumed).toBe(false);
    gate.resolve();
    await waiting;
    expect(resumed).toBe(true);
    await bulk.flush();
    expect(await Promise.all(outcomes)).toEqual(Array(3).fill({ status: 'acknowledged' }));
  });

  it('defaults maxBufferedDocuments to (concurrency + 2) * maxDocuments', async () => {
    const gate = deferred();
    const es = fakeElasticsearch(async (operations) => {
      await gate.promise;
      return respond(operations);
    });
    const { channel: bulk } = channel(es.client, { maxDocuments: 2, concurrency: 1 });
    for (let n = 0; n < 5; n += 1) void bulk.write(doc(String(n), { n }));
    let resumed = false;
    void bulk.waitForCapacity().then(() => (resumed = true));
    await settleMicrotasks();
    expect(resumed).toBe(true);
    void bulk.write(doc('5', { n: 5 }));
    resumed = false;
    const waiting = bulk.waitForCapacity().then(() => (resumed = true));
    await settleMicrotasks();
    expect(resumed).toBe(false);
    gate.resolve();
    await waiting;
    await bulk.flush();
  });

  it('applies operations on the same id in write order, holding the later one while the earlier is retried', async () => {
    let failedOnce = false;
    const es = fakeElasticsearch((operations) =>
      respond(operations, (operation) => {
        if (operation.id !== '1' || operation.document?.n !== 1 || failedOnce) return undefined;
        failedOnce = true;
        return { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } };
      }),
    );
    const { channel: bulk, warnings } = channel(es.client, { maxDocuments: 1, concurrency: 2 });
    const first = bulk.write(doc('1', { n: 1 }));
    const other = bulk.write(doc('2', { n: 1 }));
    const second = bulk.write(doc('1', { n: 2 }));
    await bulk.flush();
    expect(await Promise.all([first, other, second])).toEqual(Array(3).fill({ status: 'acknowledged' }));
    const onIdOne = es.calls.flat().filter((operation) => operation.id === '1').map((operation) => operation.document?.n);
    expect(onIdOne).toEqual([1, 1, 2]);
    expect(bulk.stats.retriedItems).toBe(1);
    expect(warnings('bulk items failed, retrying them')).toHaveLength(1);
  });

  it('refuses writes after close, which flushes first', async () => {
    const es = fakeElasticsearch();
    const { channel: bulk } = channel(es.client);
    const outcome = bulk.write(doc('1'));
    await bulk.close();
    await expect(outcome).resolves.toEqual({ status: 'acknowledged' });
    expect(() => bulk.write(doc('2'))).toThrow(SluiceError);
  });
});

describe('BulkChannel request failures', () => {
  it.each([
    ['HTTP 429', () => responseError(429, 'circuit_breaking_exception')],
    ['HTTP 503', () => responseError(503, 'unavailable_shards_exception')],
    ['a connection error', () => new EngineError('POST /_bulk failed: ConnectionError: connect ECONNREFUSED 127.0.0.1:9', { status: 0 })],
    ['a timeout', () => new EngineError('POST /_bulk failed: TimeoutError: Request timed out', { status: 0 })],
  ])('retries the whole request after %s, past the policy maxAttempts', async (_name, failure) => {
    const es = fakeElasticsearch((operations, call) => {
      if (call <= 5) throw failure();
      return respond(operations);
    });
    const { channel: bulk, warnings } = channel(es.client);
    const outcomes = [bulk.write(doc('1')), bulk.write(doc('2'))];
    await bulk.flush();
    expect(await Promise.all(outcomes)).toEqual(Array(2).fill({ status: 'acknowledged' }));
    expect(es.calls).toHaveLength(6);
    expect(es.calls.every((call) => call.map((operation) => operation.id).join() === '1,2')).toBe(true);
    expect(bulk.stats).toMatchObject({ requests: 6, retriedRequests: 5, documents: 2 });
    const retries = warnings('bulk request failed, retrying');
    expect(retries).toHaveLength(5);
    expect(retries[0]).toMatchObject({ attempt: 1, documents: 2 });
    expect(String(retries[0].reason)).not.toBe('');
  });

  it('splits a request refused with 413 in halves and rejects the single item that is still too large', async () => {
    const es = fakeElasticsearch((operations) => {
      if (operations.some((operation) => operation.id === 'big')) throw responseError(413, 'request_entity_too_large');
      return respond(operations);
    });
    const { channel: bulk, rejected } = channel(es.client);
    const outcomes = ['1', '2', 'big', '3'].map((id) => bulk.write(doc(id)));
    await bulk.flush();
    const settled = await Promise.all(outcomes);
    expect(settled.filter((outcome) => outcome.status === 'acknowledged')).toHaveLength(3);
    expect(settled[2]).toMatchObject({ status: 'rejected', httpStatus: 413 });
    expect(rejected).toHaveLength(1);
    expect(rejected[0][0].id).toBe('big');
    expect(rejected[0][1]).toContain('request_entity_too_large');
  });

  it.each([401, 403])('fails the writes at once, without retrying, when the engine answers %i (credentials cannot fix themselves)', async (status) => {
    const es = fakeElasticsearch(() => {
      throw responseError(status, 'security_exception');
    });
    const { channel: bulk, rejected } = channel(es.client);
    const outcome = bulk.write(doc('1'));
    await bulk.flush();
    const error = await outcome.then(
      () => undefined,
      (failure: unknown) => failure as { name: string; retriable: boolean; fix: string },
    );
    expect(error).toMatchObject({ name: 'EngineAccessError', retriable: false });
    expect(error?.fix).toContain(status === 401 ? 'credentials' : 'privileges');
    expect(es.calls).toHaveLength(1);
    expect(rejected).toHaveLength(0);
    await bulk.close();
  });

  it('gives up retrying only when aborted: pending writes reject with a retriable error', async () => {
    const es = fakeElasticsearch(() => {
      throw responseError(503);
    });
    const { channel: bulk } = channel(es.client);
    const outcome = bulk.write(doc('1'));
    const flushed = bulk.flush();
    await vi.waitFor(() => expect(es.calls.length).toBeGreaterThan(3));
    bulk.abort(new Error('shutting down'));
    await expect(outcome).rejects.toMatchObject({ retriable: true });
    await flushed;
    await bulk.close();
  });
});

describe('BulkChannel item results', () => {
  it('reports a 409 on a versioned operation as superseded and retries a 409 without version', async () => {
    let unversionedConflicts = 0;
    const es = fakeElasticsearch((operations) =>
      respond(operations, (operation) => {
        const conflict = { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'version conflict' } };
        if (operation.version !== undefined) return conflict;
        if (unversionedConflicts === 0) {
          unversionedConflicts += 1;
          return conflict;
        }
        return undefined;
      }),
    );
    const { channel: bulk, onRejected } = channel(es.client);
    const versioned = bulk.write(doc('1', { n: 1 }, 3));
    const plain = bulk.write(doc('2'));
    await bulk.flush();
    await expect(versioned).resolves.toEqual({ status: 'superseded' });
    await expect(plain).resolves.toEqual({ status: 'acknowledged' });
    expect(es.calls.flat().filter((operation) => operation.id === '1')).toHaveLength(1);
    expect(bulk.stats).toMatchObject({ superseded: 1, retriedItems: 1, documents: 1 });
    expect(onRejected).not.toHaveBeenCalled();
  });

  it('acknowledges a delete of a missing document (404)', async () => {
    const es = fakeElasticsearch((operations) => respond(operations, () => ({ status: 404 })));
    const { channel: bulk } = channel(es.client);
    const outcome = bulk.write({ kind: 'delete', index: 'films', id: 'gone', version: 2 });
    await bulk.flush();
    await expect(outcome).resolves.toEqual({ status: 'acknowledged' });
  });

  it('hands a rejected item to onRejected once, with type and reason, before its outcome resolves', async () => {
    const es = fakeElasticsearch((operations) =>
      respond(operations, (operation) =>
        operation.id === 'bad'
          ? {
              status: 400,
              error: {
                type: 'mapper_parsing_exception',
                reason: 'failed to parse field [count] of type [integer]',
                caused_by: { type: 'number_format_exception', reason: 'For input string: "many"' },
              },
            }
          : undefined,
      ),
    );
    const stored = deferred();
    const { channel: bulk, rejected, onRejected } = channel(es.client);
    onRejected.mockImplementationOnce((operation, reason, status) => {
      rejected.push([operation, reason, status]);
      return stored.promise;
    });
    const good = bulk.write(doc('good', { count: 1 }));
    const bad = bulk.write(doc('bad', { count: 'many' }));
    let outcome: BulkOutcome | undefined;
    void bad.then((value) => (outcome = value));
    const flushed = bulk.flush();
    await vi.waitFor(() => expect(onRejected).toHaveBeenCalledTimes(1));
    await settleMicrotasks();
    expect(outcome).toBeUndefined();
    stored.resolve();
    await flushed;
    await expect(good).resolves.toEqual({ status: 'acknowledged' });
    expect(outcome).toMatchObject({ status: 'rejected', httpStatus: 400 });
    expect(onRejected).toHaveBeenCalledTimes(1);
    const [operation, reason, status] = rejected[0];
    expect(operation.id).toBe('bad');
    expect(status).toBe(400);
    expect(reason).toContain('mapper_parsing_exception: failed to parse field [count]');
    expect(reason).toContain('number_format_exception');
    expect(bulk.stats.rejected).toBe(1);
  });

  it('retries onRejected while it throws: the operation is never dropped', async () => {
    const es = fakeElasticsearch((operations) => respond(operations, () => ({ status: 400, error: { type: 'illegal_argument_exception', reason: 'no' } })));
    const { channel: bulk, onRejected, warnings } = channel(es.client);
    onRejected.mockRejectedValueOnce(new Error('dead letter topic unavailable'));
    const outcome = bulk.write(doc('1'));
    await bulk.flush();
    await expect(outcome).resolves.toMatchObject({ status: 'rejected', reason: '400 illegal_argument_exception: no' });
    expect(onRejected).toHaveBeenCalledTimes(2);
    expect(warnings('dead letter failed, retrying')).toHaveLength(1);
  });

  it('fails the operation when onRejected fails for good (a permanent error), instead of retrying it forever', async () => {
    const es = fakeElasticsearch((operations) => respond(operations, () => ({ status: 400, error: { type: 'illegal_argument_exception', reason: 'no' } })));
    const { channel: bulk, onRejected, warnings } = channel(es.client);
    const denied = new PermanentError('writing a dead letter failed: kafka TOPIC_AUTHORIZATION_FAILED', 'grant the ACLs');
    onRejected.mockRejectedValue(denied);
    const outcome = bulk.write(doc('1'));
    const settled = outcome.catch((error: unknown) => error);
    await bulk.flush().catch(() => undefined);
    expect(await settled).toBe(denied);
    expect(onRejected).toHaveBeenCalledTimes(1);
    expect(warnings('dead letter failed, retrying')).toHaveLength(0);
  });

  it('retries a 503 item past the policy\'s attempts until the engine takes it: a transient refusal is never a dead letter', async () => {
    let calls = 0;
    const failingCalls = policy.maxAttempts + 3;
    const es = fakeElasticsearch((operations) => {
      calls += 1;
      return respond(operations, () => (calls <= failingCalls ? { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } : { status: 201 }));
    });
    const { channel: bulk, rejected } = channel(es.client);
    const outcome = bulk.write(doc('1'));
    await bulk.flush();
    await expect(outcome).resolves.toMatchObject({ status: 'acknowledged' });
    expect(es.calls).toHaveLength(failingCalls + 1);
    expect(rejected).toHaveLength(0);
  });
});
