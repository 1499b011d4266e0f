import { describeError, SluiceError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetriable, retry, type RetryPolicy } from '../../retry.js';
import type { BulkResult, SearchEngine } from '../engine/search-engine.js';
import { bulkBody, classifyItem, classifyRequestError, serializeSizedOperation, type BulkOperation, type SizedLines } from './bulk-response.js';

export type { BulkOperation } from './bulk-response.js';

/** How one written operation ended. Only `acknowledged` and `superseded` mean the index holds it (or something newer). */
export type BulkOutcome =
  /** Indexed or deleted (a delete of a missing document counts: the document is gone). */
  | { readonly status: 'acknowledged' }
  /** A versioned operation met a newer version of the document (409): nothing to do, not an error. */
  | { readonly status: 'superseded' }
  /** Refused for good (mapping error, too large...): `onRejected` has stored it before this outcome resolved. */
  | { readonly status: 'rejected'; readonly reason: string; readonly httpStatus: number };

/** Settings of a {@link BulkChannel}. */
export interface BulkChannelSettings {
  /** Operations per bulk request (default 1000). */
  readonly maxDocuments: number;
  /** Bytes per bulk request body (default 5 MiB); a larger single operation goes alone. */
  readonly maxBytes: number;
  /** A partial buffer is sent once its oldest operation waited this long (default 100 ms). */
  readonly maxAgeMs: number;
  /** Bulk requests in flight at once (default 2). */
  readonly concurrency: number;
  /** Backpressure high-water mark: bytes of written but unsettled operations (default 4 * maxBytes). */
  readonly maxBufferedBytes: number;
  /**
   * Backpressure high-water mark: written but unsettled operations (default (concurrency + 2) *
   * maxDocuments: the requests in flight, the next one filling and one more). It bounds the memory
   * a large fan-out holds whatever the size of its documents.
   */
  readonly maxBufferedDocuments: number;
  /**
   * Backoff of retries. Whole requests are retried until they succeed or the channel is aborted
   * (the delay capped at `maxDelayMs`); items and dead letters follow `maxAttempts`/`maxElapsedMs`
   * for items (then they are dead-lettered) and never give up for dead letters.
   */
  readonly retryPolicy: RetryPolicy;
  /** The `refresh` parameter of every bulk request (default: none). */
  readonly refresh?: boolean | 'wait_for';
  /** The dead letter: stores a rejected operation. Awaited before its outcome resolves; retried with backoff while it throws. */
  readonly onRejected: (operation: BulkOperation, reason: string, httpStatus: number) => Promise<void>;
  readonly logger: Logger;
}

/** The settings a caller gives a {@link BulkChannel}: `onRejected` and `logger`, the rest optional. */
export type BulkChannelOptions = Partial<Omit<BulkChannelSettings, 'onRejected' | 'logger'>> & Pick<BulkChannelSettings, 'onRejected' | 'logger'>;

/** Counters of a {@link BulkChannel} since it was created. */
export interface BulkChannelStats {
  /** Bulk requests sent, every attempt counted. */
  readonly requests: number;
  /** Operations acknowledged (indexed or deleted). */
  readonly documents: number;
  /** Request body bytes sent, every attempt counted. */
  readonly bytes: number;
  /** Whole requests sent again after a transient failure. */
  readonly retriedRequests: number;
  /** Items sent again after a retriable item status. */
  readonly retriedItems: number;
  readonly superseded: number;
  readonly rejected: number;
}

interface Entry {
  readonly operation: BulkOperation;
  readonly key: string;
  readonly lines: SizedLines;
  readonly outcome: Promise<BulkOutcome>;
  readonly resolve: (outcome: BulkOutcome) => void;
  readonly reject: (error: unknown) => void;
  queuedAt: number;
  failures: number;
  settled: boolean;
}

function resolveSettings(options: BulkChannelOptions): BulkChannelSettings {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const maxDocuments = options.maxDocuments ?? 1000;
  const concurrency = options.concurrency ?? 2;
  const settings: BulkChannelSettings = {
    maxDocuments,
    maxBytes,
    maxAgeMs: options.maxAgeMs ?? 100,
    concurrency,
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * maxBytes,
    maxBufferedDocuments: options.maxBufferedDocuments ?? (concurrency + 2) * maxDocuments,
    retryPolicy: options.retryPolicy ?? DEFAULT_RETRY_POLICY,
    ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
    onRejected: options.onRejected,
    logger: options.logger,
  };
  for (const name of ['maxDocuments', 'maxBytes', 'maxAgeMs', 'concurrency', 'maxBufferedBytes', 'maxBufferedDocuments'] as const) {
    const value = settings[name];
    if (!(value > 0) && !(name === 'maxAgeMs' && value === 0)) throw new RangeError(`bulk channel setting ${name} must be a positive number, got ${value}`);
  }
  return settings;
}

/**
 * Writes index and delete operations to the search engine (through the engine port) in bulk requests: batched by count, bytes
 * and age, with bounded concurrency and backpressure, whole requests retried through outages,
 * retriable items retried, and permanent failures handed to a dead letter. Two operations on the
 * same index and id are applied in the order they were written: a later one is held back while
 * an earlier one is buffered, in flight, waiting to retry or being dead-lettered.
 */
export class BulkChannel {
  private readonly settings: BulkChannelSettings;
  private readonly buffer: Entry[] = [];
  private bufferBytes = 0;
  /** Index+id of every operation not yet settled -> later operations held back for it (undefined: none yet, no array made). */
  private readonly active = new Map<string, Entry[] | undefined>();
  private readonly unsettled = new Set<Entry>();
  private unsettledBytes = 0;
  private inFlight = 0;
  private flushing = 0;
  private capacityWaiters: Array<() => void> = [];
  private ageTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly controller = new AbortController();
  private closed = false;
  private readonly counters = { requests: 0, documents: 0, bytes: 0, retriedRequests: 0, retriedItems: 0, superseded: 0, rejected: 0 };

  constructor(
    private readonly engine: SearchEngine,
    options: BulkChannelOptions,
  ) {
    this.settings = resolveSettings(options);
  }

  /** A snapshot of the counters. */
  get stats(): BulkChannelStats {
    return { ...this.counters };
  }

  /**
   * Enqueues an operation. The promise settles once the operation is acknowledged, superseded or
   * rejected (after the dead letter stored it); it rejects only when the channel is aborted first.
   * Throws when the channel is closed or the document cannot be serialized to JSON.
   */
  write(operation: BulkOperation): Promise<BulkOutcome> {
    if (this.closed) throw new SluiceError('the bulk channel is closed: no more writes', { context: { index: operation.index, id: operation.id } });
    let lines: SizedLines;
    try {
      lines = serializeSizedOperation(operation);
    } catch (error) {
      throw new SluiceError('the operation cannot be serialized to JSON', { cause: error, context: { index: operation.index, id: operation.id } });
    }
    let resolve!: (outcome: BulkOutcome) => void;
    let reject!: (error: unknown) => void;
    const outcome = new Promise<BulkOutcome>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const key = `${operation.index}\u0000${operation.id}`;
    const entry: Entry = { operation, key, lines, outcome, resolve, reject, queuedAt: 0, failures: 0, settled: false };
    this.unsettled.add(entry);
    this.unsettledBytes += lines.bytes;
    if (!this.active.has(key)) {
      this.active.set(key, undefined);
      this.enqueue(entry, Date.now());
    } else {
      const held = this.active.get(key);
      if (held === undefined) this.active.set(key, [entry]);
      else held.push(entry);
    }
    this.pump();
    return outcome;
  }

  /** Resolves once the unsettled operations are below `maxBufferedBytes` and `maxBufferedDocuments` (or the channel is aborted). */
  waitForCapacity(): Promise<void> {
    if (this.hasCapacity()) return Promise.resolve();
    return new Promise((resolve) => {
      this.capacityWaiters.push(resolve);
      this.pump();
    });
  }

  /** Sends what is buffered without waiting for `maxAgeMs`; resolves when every operation written so far has settled. */
  async flush(): Promise<void> {
    const outcomes = [...this.unsettled].map((entry) => entry.outcome);
    if (outcomes.length === 0) return;
    this.flushing += 1;
    try {
      this.pump();
      await Promise.allSettled(outcomes);
    } finally {
      this.flushing -= 1;
    }
  }

  /** Refuses further writes, flushes (retries included: abort to give up), then stops the timers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.stopTimers();
  }

  /**
   * Gives up: in-flight requests are cancelled, retries stop, and every unsettled operation's
   * promise rejects with a retriable SluiceError (it may or may not have been applied).
   */
  abort(reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    this.closed = true;
    this.controller.abort(reason);
    this.stopTimers();
    this.buffer.length = 0;
    this.bufferBytes = 0;
    this.active.clear();
    const error = new SluiceError('the bulk channel was aborted before Elasticsearch acknowledged the operation', { retriable: true, cause: reason });
    for (const entry of [...this.unsettled]) this.settle(entry, undefined, error);
    this.wakeCapacityWaiters();
  }

  private get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  private hasCapacity(): boolean {
    return (this.unsettledBytes < this.settings.maxBufferedBytes && this.unsettled.size < this.settings.maxBufferedDocuments) || this.aborted;
  }

  private enqueue(entry: Entry, queuedAt: number): void {
    entry.queuedAt = queuedAt;
    this.buffer.push(entry);
    this.bufferBytes += entry.lines.bytes;
  }

  /** Starts requests while slots are free and a full batch, an aged one or a flush asks for it; arms the age timer otherwise. */
  private pump(): void {
    if (this.aborted) return;
    const { concurrency, maxDocuments, maxBytes, maxAgeMs } = this.settings;
    const now = Date.now();
    while (this.inFlight < concurrency && this.buffer.length > 0) {
      const full = this.buffer.length >= maxDocuments || this.bufferBytes >= maxBytes;
      const due = this.flushing > 0 || this.capacityWaiters.length > 0 || now - this.buffer[0].queuedAt >= maxAgeMs;
      if (!full && !due) break;
      void this.run(this.takeBatch());
    }
    if (this.buffer.length > 0 && this.inFlight < concurrency && this.ageTimer === undefined) {
      this.ageTimer = setTimeout(
        () => {
          this.ageTimer = undefined;
          this.pump();
        },
        Math.max(0, this.buffer[0].queuedAt + maxAgeMs - now),
      );
    }
  }

  private takeBatch(): Entry[] {
    let count = 0;
    let bytes = 0;
    for (const entry of this.buffer) {
      if (count === this.settings.maxDocuments || (count > 0 && bytes + entry.lines.bytes > this.settings.maxBytes)) break;
      count += 1;
      bytes += entry.lines.bytes;
    }
    this.bufferBytes -= bytes;
    return this.buffer.splice(0, count);
  }

  /** Runs one batch in a concurrency slot; never rejects. */
  private async run(batch: Entry[]): Promise<void> {
    this.inFlight += 1;
    try {
      await this.send(batch);
    } catch (error) {
      for (const entry of batch) this.settle(entry, undefined, error);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  /** Sends a batch until the engine answers, splitting it when refused as a whole. Throws on abort, a bug or a permanent error. */
  private async send(batch: Entry[]): Promise<void> {
    const body = bulkBody(batch.map((entry) => entry.lines));
    const bytes = body.length;
    const options = { signal: this.controller.signal, ...(this.settings.refresh === undefined ? {} : { refresh: this.settings.refresh }) };
    let response: BulkResult;
    try {
      response = await retry(
        () => {
          this.throwIfAborted();
          this.counters.requests += 1;
          this.counters.bytes += bytes;
          // the body is made once per batch, straight from each operation's parts (serialized once, in write())
          return this.engine.bulk(body, options);
        },
        {
          // an outage is waited out: backpressure holds the consumer meanwhile
          policy: { ...this.settings.retryPolicy, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: Number.POSITIVE_INFINITY },
          signal: this.controller.signal,
          shouldRetry: (error) => !this.aborted && classifyRequestError(error).kind === 'retry',
          onRetry: (error, attempt, delayMs) => {
            this.counters.retriedRequests += 1;
            this.settings.logger.warn({ reason: describeError(error), attempt, delayMs, documents: batch.length, bytes }, 'bulk request failed, retrying');
          },
        },
      );
    } catch (error) {
      this.throwIfAborted();
      const verdict = classifyRequestError(error);
      if (verdict.kind !== 'split') throw error;
      if (batch.length === 1) {
        void this.deadLetter(batch[0], verdict.reason, verdict.httpStatus);
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      this.settings.logger.warn({ reason: verdict.reason, documents: batch.length, bytes }, 'bulk request refused as a whole, splitting it in halves');
      await this.send(batch.slice(0, middle));
      await this.send(batch.slice(middle));
      return;
    }
    this.handleResponse(batch, response);
  }

  private handleResponse(batch: Entry[], response: BulkResult): void {
    let retried = 0;
    let sample: { reason: string; delayMs: number } | undefined;
    batch.forEach((entry, position) => {
      const verdict = classifyItem(entry.operation, response.items[position]);
      if (verdict.kind === 'acknowledged') {
        this.counters.documents += 1;
        this.settle(entry, { status: 'acknowledged' });
      } else if (verdict.kind === 'superseded') {
        this.counters.superseded += 1;
        this.settle(entry, { status: 'superseded' });
      } else if (verdict.kind === 'reject') {
        void this.deadLetter(entry, verdict.reason, verdict.httpStatus);
      } else {
        const delayMs = this.retryItem(entry);
        retried += 1;
        sample ??= { reason: verdict.reason, delayMs };
      }
    });
    if (sample !== undefined) this.settings.logger.warn({ items: retried, ...sample }, 'bulk items failed, retrying them');
  }

  /**
   * Re-queues an item the engine could not take now (429, 503...) after a backoff; returns the
   * delay. A transient refusal never becomes a dead letter: it is retried until it passes, the
   * backoff capped at the policy's maxDelayMs, while backpressure holds the consumer.
   */
  private retryItem(entry: Entry): number {
    const policy = this.settings.retryPolicy;
    entry.failures += 1;
    this.counters.retriedItems += 1;
    const delayMs = backoffDelay(policy, entry.failures);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (entry.settled || this.aborted) return;
      entry.queuedAt = Number.NEGATIVE_INFINITY;
      this.buffer.unshift(entry);
      this.bufferBytes += entry.lines.bytes;
      this.pump();
    }, delayMs);
    this.retryTimers.add(timer);
    return delayMs;
  }

  /** Hands a rejected operation to `onRejected` until it succeeds (or the channel is aborted, or it fails for good), then settles it as rejected. */
  private async deadLetter(entry: Entry, reason: string, httpStatus: number): Promise<void> {
    const { index, id } = entry.operation;
    try {
      await retry(
        async () => {
          if (entry.settled || this.aborted) return;
          await this.settings.onRejected(entry.operation, reason, httpStatus);
          if (entry.settled) return;
          this.counters.rejected += 1;
          this.settle(entry, { status: 'rejected', reason, httpStatus });
        },
        {
          policy: { ...this.settings.retryPolicy, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: Number.POSITIVE_INFINITY },
          signal: this.controller.signal,
          // a dead letter refused for good (see classifyError) fails the operation: the sink stops with the fix
          shouldRetry: (error) => !entry.settled && !this.aborted && isRetriable(error),
          onRetry: (error, attempt, delayMs) => this.settings.logger.warn({ reason: describeError(error), attempt, delayMs, index, id }, 'dead letter failed, retrying'),
        },
      );
    } catch (error) {
      if (!this.aborted) this.settle(entry, undefined, error);
    }
  }

  /** Settles an entry once, releases the next operation held for its id, and wakes waiters. */
  private settle(entry: Entry, outcome: BulkOutcome | undefined, error?: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    this.unsettled.delete(entry);
    this.unsettledBytes -= entry.lines.bytes;
    const next = this.active.get(entry.key)?.shift();
    if (next === undefined) this.active.delete(entry.key);
    else if (!this.aborted) this.enqueue(next, Date.now());
    if (outcome === undefined) entry.reject(error);
    else entry.resolve(outcome);
    if (this.hasCapacity()) this.wakeCapacityWaiters();
    this.pump();
  }

  private wakeCapacityWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }

  private throwIfAborted(): void {
    if (this.aborted) throw new SluiceError('the bulk channel was aborted', { retriable: true, cause: this.controller.signal.reason });
  }

  private stopTimers(): void {
    clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
