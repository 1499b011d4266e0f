import { classifyError } from '../classify-error.js';
import type { ChangeEvent, SinkChangeEvent } from '../model/change-event.js';
import { describeError } from '../errors.js';
import { deadLetterReasonLabel, gtidSequences, type SluiceMetrics } from './metrics.js';

/** What the status page says about the pipeline itself: source -> topics -> documents -> indexes. */
export interface PipelineOutline {
  readonly pipeline: string;
  /** The running command: run, source, sink or sync. */
  readonly command: string;
  /** The source, without secrets: `mysql 127.0.0.1:3306 [sakila]`. */
  readonly source: string;
  readonly topicPrefix: string;
  readonly documents: ReadonlyArray<{ readonly name: string; readonly index: string }>;
}

/** A page the sink acknowledged (see DocumentPipelineSettings.onPageAcknowledged). */
export interface ObservedPage {
  readonly topic: string;
  readonly partition: number;
  readonly changes: readonly SinkChangeEvent[];
  readonly result: { readonly changes: number; readonly documents: number; readonly deletes: number; readonly superseded: number; readonly rejected: number };
  readonly atMs: number;
}

/** A dead letter as the sink stored it (its reason and where it came from; the document itself is left out). */
export interface ObservedDeadLetter {
  readonly kind: string;
  readonly reason: string;
  readonly httpStatus?: number;
  readonly index?: string;
  readonly documentId?: string;
  readonly trigger?: { readonly topic: string; readonly partition: number; readonly offset: string; readonly table?: string };
  readonly atMs: number;
}

/** The capture's counters (see CaptureStats). */
export interface ObservedCapture {
  readonly snapshotRows: number;
  readonly streamedRows: number;
  readonly batches: number;
  readonly lastSaved: (Readonly<Record<string, unknown>> & { readonly savedAtMs: number; readonly snapshotCompleted: boolean }) | undefined;
}

/** A consumer group's lag (see readGroupLag). */
export interface ObservedGroup {
  readonly group: string;
  readonly state: string;
  readonly members: number;
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly committed: string | null; readonly end: string; readonly lag: number }>;
}

/** A full sync's progress (see SyncProgress). */
export interface ObservedSync {
  readonly document: string;
  readonly done: number;
  readonly total: number;
  readonly written: number;
  readonly unchanged: number;
}

/** Per table: rows captured and the last capture delay. */
export interface TableStatus {
  readonly table: string;
  readonly snapshotRows: number;
  readonly streamedRows: number;
  /** Commit to acknowledged by Kafka of the table's last streamed change, ms. */
  readonly lastDelayMs: number | null;
}

/** One point of the throughput chart. */
export interface ThroughputPoint {
  readonly atMs: number;
  readonly capturedPerSecond: number;
  readonly documentsPerSecond: number;
}

/** A failure seen by the retry helper. */
export interface ObservedError {
  readonly atMs: number;
  readonly service: string;
  readonly kind: string;
  readonly retried: boolean;
  readonly message: string;
}

/** Everything the status page and /health/ready read, at one moment. */
export interface StatusSnapshot {
  readonly outline: PipelineOutline;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly tables: readonly TableStatus[];
  readonly capture: ObservedCapture | undefined;
  readonly captureStarted: boolean;
  readonly sink: { readonly pages: number; readonly changes: number; readonly written: number; readonly deleted: number; readonly superseded: number; readonly rejected: number };
  readonly groups: readonly ObservedGroup[];
  /** When the lag was last read; undefined before the first read. */
  readonly lagReadAtMs: number | undefined;
  readonly lagError: string | undefined;
  /** Since when the lag has been above 0 (as read), undefined while it is 0. */
  readonly lagSinceMs: number | undefined;
  readonly throughput: readonly ThroughputPoint[];
  readonly deadLetters: readonly ObservedDeadLetter[];
  readonly sync: readonly ObservedSync[];
  readonly errors: readonly ObservedError[];
  /** The last time each part made progress (rows produced, a page committed, sync roots done). */
  readonly lastProgressMs: { readonly capture: number; readonly sink: number; readonly sync: number };
}

const KEPT_DEAD_LETTERS = 20;
const KEPT_ERRORS = 20;
const REASON_CHARS = 300;

/** Replaces the password of any URL in a message by ***. */
export function redactSecrets(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)[^@/\s]*@/gi, '$1***@');
}

/**
 * Collects what a running sluice process does, from its hooks (rows produced, pages acknowledged,
 * dead letters, bulk requests, retries, sync progress, consumer lag), into the Prometheus metrics
 * and into the state the status page and the readiness check read.
 */
export class PipelineObserver {
  private readonly tables = new Map<string, { snapshotRows: number; streamedRows: number; lastDelayMs: number | null }>();
  private readonly sink = { pages: 0, changes: 0, written: 0, deleted: 0, superseded: 0, rejected: 0 };
  private readonly deadLetters: ObservedDeadLetter[] = [];
  private readonly errors: ObservedError[] = [];
  private readonly sync = new Map<string, ObservedSync>();
  private readonly throughput: ThroughputPoint[] = [];
  private groups: readonly ObservedGroup[] = [];
  private lagReadAtMs: number | undefined;
  private lagError: string | undefined;
  private lagSinceMs: number | undefined;
  private captureStats: (() => ObservedCapture | undefined) | undefined;
  private readonly progress: { capture: number; sink: number; sync: number };
  private lastSample: { atMs: number; captured: number; documents: number };
  readonly startedAtMs: number;

  constructor(
    readonly outline: PipelineOutline,
    readonly metrics: SluiceMetrics,
    private readonly options: { readonly historyLength?: number; readonly now?: () => number } = {},
  ) {
    this.startedAtMs = this.now();
    this.progress = { capture: this.startedAtMs, sink: this.startedAtMs, sync: this.startedAtMs };
    this.lastSample = { atMs: this.startedAtMs, captured: 0, documents: 0 };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Changes Kafka acknowledged, and how long the produce took. */
  produced(events: readonly ChangeEvent[], durationMs: number): void {
    const now = this.now();
    this.metrics.produceDuration.observe(durationMs / 1000);
    for (const event of events) {
      const table = `${event.source.db}.${event.source.table}`;
      const entry = this.tables.get(table) ?? { snapshotRows: 0, streamedRows: 0, lastDelayMs: null };
      this.metrics.capturedRows.inc({ table, operation: OPERATIONS[event.op] ?? 'other' });
      if (event.source.snapshot === 'false') {
        entry.streamedRows += 1;
        const delayMs = Math.max(0, now - event.source.tsMs);
        entry.lastDelayMs = delayMs;
        this.metrics.captureDelay.observe({ table }, delayMs / 1000);
      } else {
        entry.snapshotRows += 1;
      }
      this.tables.set(table, entry);
    }
    this.progress.capture = now;
  }

  /** The capture now running (each restart of the capture gives its own counters). */
  captureStarted(stats: () => ObservedCapture | undefined): void {
    this.captureStats = stats;
  }

  /** Reads the capture's saved position into the metrics (called before each scrape and page). */
  refreshCapture(): void {
    const saved = this.captureStats?.()?.lastSaved;
    if (saved === undefined) return;
    this.metrics.sourcePositionSaved.set(saved.savedAtMs / 1000);
    this.metrics.sourceSnapshotCompleted.set(saved.snapshotCompleted ? 1 : 0);
    const gtid = saved.gtidPosition;
    if (typeof gtid === 'string') for (const { domain, server, sequence } of gtidSequences(gtid)) this.metrics.sourceGtidSequence.set({ domain, server }, sequence);
  }

  /** A page whose documents were all settled; its offsets are committed next. */
  pageAcknowledged(page: ObservedPage): void {
    const { result } = page;
    this.sink.pages += 1;
    this.sink.changes += result.changes;
    this.sink.written += result.documents;
    this.sink.deleted += result.deletes;
    this.sink.superseded += result.superseded;
    this.sink.rejected += result.rejected;
    const { metrics } = this;
    metrics.pagesCommitted.inc({ topic: page.topic, partition: String(page.partition) });
    metrics.changesProcessed.inc(result.changes);
    metrics.documents.inc({ outcome: 'written' }, result.documents);
    metrics.documents.inc({ outcome: 'deleted' }, result.deletes);
    metrics.documents.inc({ outcome: 'superseded' }, result.superseded);
    metrics.documents.inc({ outcome: 'rejected' }, result.rejected);
    for (const event of page.changes) {
      if (event.source.snapshot === 'false') metrics.commitToAcknowledged.observe(Math.max(0, page.atMs - event.source.tsMs) / 1000);
    }
    this.progress.sink = this.now();
  }

  /** One operation of a first load settled (src/pipeline/first-load.ts): counted with the documents, and progress for readiness. */
  firstLoadWritten(kind: 'index' | 'delete', status: 'acknowledged' | 'superseded' | 'rejected'): void {
    const outcome = status === 'acknowledged' ? (kind === 'index' ? 'written' : 'deleted') : status;
    if (outcome === 'written') this.sink.written += 1;
    else if (outcome === 'deleted') this.sink.deleted += 1;
    else if (outcome === 'superseded') this.sink.superseded += 1;
    else this.sink.rejected += 1;
    this.metrics.documents.inc({ outcome });
    this.progress.sink = this.now();
  }

  /** A dead letter stored in Kafka. */
  deadLetter(letter: ObservedDeadLetter): void {
    this.metrics.deadLetters.inc({ reason: deadLetterReasonLabel(letter.kind, letter.reason, letter.httpStatus) });
    const { kind, reason, httpStatus, index, documentId, trigger, atMs } = letter;
    this.deadLetters.unshift({
      kind,
      reason: redactSecrets(reason).slice(0, REASON_CHARS),
      atMs,
      ...(httpStatus === undefined ? {} : { httpStatus }),
      ...(index === undefined ? {} : { index }),
      ...(documentId === undefined ? {} : { documentId }),
      ...(trigger === undefined ? {} : { trigger: { topic: trigger.topic, partition: trigger.partition, offset: trigger.offset, ...(trigger.table === undefined ? {} : { table: trigger.table }) } }),
    });
    this.deadLetters.length = Math.min(this.deadLetters.length, KEPT_DEAD_LETTERS);
  }

  /** A bulk request to the search engine: its duration, operations and bytes, and whether it answered. */
  bulkRequest(durationMs: number, operations: number, bytes: number, ok: boolean): void {
    this.metrics.bulkDuration.observe({ outcome: ok ? 'ok' : 'error' }, durationMs / 1000);
    this.metrics.bulkOperations.observe(operations);
    this.metrics.bulkBytes.observe(bytes);
  }

  /** A failure the retry helper retried, or gave up on. */
  failure(retried: boolean, error: unknown): void {
    const verdict = classifyError(error);
    const labels = { service: verdict.service ?? 'unknown', kind: verdict.kind };
    (retried ? this.metrics.retries : this.metrics.errors).inc(labels);
    this.errors.unshift({ atMs: this.now(), ...labels, retried, message: redactSecrets(describeError(error)).slice(0, REASON_CHARS) });
    this.errors.length = Math.min(this.errors.length, KEPT_ERRORS);
  }

  /** The consumer lag just read. */
  lagRead(groups: readonly ObservedGroup[]): void {
    this.groups = groups;
    this.lagReadAtMs = this.now();
    const waiting = groups.some((group) => group.partitions.some((entry) => entry.lag > 0));
    if (!waiting) this.lagSinceMs = undefined;
    else this.lagSinceMs ??= this.lagReadAtMs;
    this.lagError = undefined;
    this.metrics.consumerLag.reset();
    for (const group of groups) {
      for (const entry of group.partitions) this.metrics.consumerLag.set({ group: group.group, topic: entry.topic, partition: String(entry.partition) }, entry.lag);
    }
  }

  /** Reading the consumer lag failed. */
  lagFailed(error: unknown): void {
    this.lagError = redactSecrets(describeError(error));
  }

  /** A full sync's progress. */
  syncProgress(progress: ObservedSync): void {
    const previous = this.sync.get(progress.document);
    this.sync.set(progress.document, { ...progress });
    for (const state of ['total', 'done', 'written', 'unchanged'] as const) this.metrics.syncRoots.set({ document: progress.document, state }, progress[state]);
    if (previous === undefined || previous.done !== progress.done) this.progress.sync = this.now();
  }

  /** Adds a point to the throughput chart (called every few seconds). */
  sample(): void {
    const now = this.now();
    const captured = [...this.tables.values()].reduce((sum, entry) => sum + entry.snapshotRows + entry.streamedRows, 0);
    const documents = this.sink.written + this.sink.deleted;
    const seconds = Math.max((now - this.lastSample.atMs) / 1000, 0.001);
    this.throughput.push({ atMs: now, capturedPerSecond: (captured - this.lastSample.captured) / seconds, documentsPerSecond: (documents - this.lastSample.documents) / seconds });
    const keep = this.options.historyLength ?? 120;
    if (this.throughput.length > keep) this.throughput.splice(0, this.throughput.length - keep);
    this.lastSample = { atMs: now, captured, documents };
  }

  /** The state at this moment. */
  snapshot(): StatusSnapshot {
    this.refreshCapture();
    return {
      outline: this.outline,
      startedAtMs: this.startedAtMs,
      nowMs: this.now(),
      tables: [...this.tables].map(([table, entry]) => ({ table, ...entry })).sort((a, b) => a.table.localeCompare(b.table)),
      capture: this.captureStats?.(),
      captureStarted: this.captureStats !== undefined,
      sink: { ...this.sink },
      groups: this.groups,
      lagReadAtMs: this.lagReadAtMs,
      lagError: this.lagError,
      lagSinceMs: this.lagSinceMs,
      throughput: [...this.throughput],
      deadLetters: [...this.deadLetters],
      sync: [...this.sync.values()],
      errors: [...this.errors],
      lastProgressMs: { ...this.progress },
    };
  }
}

const OPERATIONS: Readonly<Record<string, string>> = { r: 'read', c: 'create', u: 'update', d: 'delete' };
