import type { Kafka, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { concatMap, fromEvent, interval, lastValueFrom, map, merge, takeUntil, tap } from 'rxjs';
import type { ChangeEvent } from '../model/change-event.js';
import type { EncodedPosition } from '../model/position.js';
import type { TableInfo } from '../model/table.js';
import { retry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry.js';
import { SnapshotProgressTracker, type SnapshotProgressListener } from './snapshot-progress.js';
import type { CdcSource, ChangeBatch, FlowControl, SnapshotPage } from '../sources/source.js';
import type { ChangeTopicPolicy } from './change-topic-policy.js';
import { ChangeWriter, type OutgoingChange } from './change-writer.js';
import { IncrementalSnapshots, type IncrementalSnapshotState } from './incremental-snapshots.js';
import { SnapshotSignalListener } from './snapshot-signals.js';
import { PositionStore } from './position-store.js';
import { positionTopic } from './topic-names.js';

/** The position a capture saves in the position topic: the source's encoded position and the runner's fields. */
export type SavedCapturePosition = EncodedPosition & {
  readonly version: 1;
  readonly snapshotCompleted: boolean;
  readonly savedAtMs: number;
  /** Incremental snapshots requested and not finished yet. */
  readonly incremental?: IncrementalSnapshotState;
};

type StreamBatch<P> = ChangeBatch<P> | { readonly tick: true };
const TICK = { tick: true } as const;

/** Settings of a {@link SourceCapture}: what the runner does for every source. */
export interface CaptureSettings {
  readonly pipeline: string;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly snapshot: { readonly mode: 'initial' | 'never' | 'always'; readonly pageSize: number };
  readonly batch: { readonly maxMessages: number; readonly maxDelayMs: number };
  /** Upper bound of one produce request's payload (kafka.batch.maxBytes). */
  readonly maxRequestBytes?: number;
  /**
   * The position is saved after every acknowledged batch; this interval also saves it when
   * nothing was captured (the position-save interval).
   */
  readonly positionIntervalMs: number;
  /** Above this many unacknowledged events, reading pauses until half of them are acknowledged. */
  readonly maxPendingEvents?: number;
  /** What to do when the position to resume from is gone (a purged binlog): stop with the error (default), or snapshot again. */
  readonly binlogPurged?: 'fail' | 'snapshot';
  /** Ignore the saved position and snapshot again. */
  readonly resnapshot?: boolean;
  /** How change topics keep messages (kafka.topics); default: compacted, tombstones after deletes. */
  readonly changeTopics?: ChangeTopicPolicy;
  readonly retryPolicy?: RetryPolicy;
  /** Called after Kafka acknowledged changes, with how long the produce took (metrics). */
  readonly onProduced?: (events: readonly ChangeEvent[], durationMs: number) => void;
  readonly logger: Logger;
  /** Receives the initial snapshot's progress (per table, against the source's estimates). */
  readonly onSnapshotProgress?: SnapshotProgressListener;
}

/** Counters of a running capture. */
export interface CaptureStats {
  snapshotRows: number;
  streamedRows: number;
  batches: number;
  pauses: number;
  /** The most events read but not yet acknowledged at any time (bounded by backpressure). */
  maxPending: number;
  lastSaved: SavedCapturePosition | undefined;
}

/**
 * Captures a source into Kafka, whatever the source (see CdcSource): a consistent snapshot (when
 * there is no saved position), then the change stream from exactly where the snapshot was
 * consistent. Events go out in commit order; a batch's position is saved only after Kafka
 * acknowledged the batch and every earlier one (in the next batch's request under load, at once
 * when idle), so a restart (even after kill -9) skips nothing and re-emits at most the last two
 * batches. Incremental snapshots requested on the signal topic are interleaved at their position.
 */
export class SourceCapture<P> {
  readonly stats: CaptureStats = { snapshotRows: 0, streamedRows: 0, batches: 0, pauses: 0, maxPending: 0, lastSaved: undefined };
  private readonly writer: ChangeWriter;
  private readonly positions: PositionStore<SavedCapturePosition>;
  private readonly sourceId: string;
  private readonly incremental: IncrementalSnapshots<P>;
  private readonly signals: SnapshotSignalListener;
  private tables: readonly TableInfo[] = [];
  private acked: SavedCapturePosition | undefined;
  private ackedIncremental: IncrementalSnapshotState = { queue: [] };
  private lastSavedJson = '';
  /** The position of the transactions the stream has emitted (where incremental chunks may go). */
  private streamPosition: P | undefined;

  constructor(
    kafka: Kafka,
    private readonly settings: CaptureSettings,
    private readonly source: CdcSource<P>,
  ) {
    this.writer = new ChangeWriter(kafka, settings);
    this.positions = new PositionStore(kafka, positionTopic(settings.topicPrefix));
    this.sourceId = `${source.connector}:${settings.pipeline}`;
    this.incremental = new IncrementalSnapshots(source, settings.snapshot.pageSize, (name) => source.tableInfo(name), settings.logger);
    this.signals = new SnapshotSignalListener(kafka, settings.topicPrefix, settings.pipeline, settings.replicationFactor);
  }

  /** Runs until `signal` aborts (then saves the last acknowledged position) or a fatal error. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.settings;
    await this.writer.connect();
    await this.source.open();
    const positionSaves = setInterval(() => void this.savePosition().catch((error: unknown) => logger.warn({ err: error }, 'position not saved')), this.settings.positionIntervalMs);
    try {
      const saved = this.settings.resnapshot === true ? undefined : await this.positions.load(this.sourceId);
      if (saved?.incremental !== undefined) {
        this.incremental.restore(saved.incremental);
        this.ackedIncremental = saved.incremental;
      }
      this.tables = [...(await this.source.readCatalog()).values()];
      await this.writer.ensureTableTopics(this.tables);
      let start: P;
      const snapshotNeeded = this.settings.snapshot.mode === 'always' || (this.settings.snapshot.mode === 'initial' && saved?.snapshotCompleted !== true);
      if (snapshotNeeded && !signal.aborted) {
        start = await this.snapshot(signal);
      } else if (saved !== undefined) {
        start = this.source.decodePosition(saved);
        logger.info({ position: saved }, 'resuming from the saved position');
      } else {
        start = await this.source.currentPosition();
        logger.info({ position: this.source.encodePosition(start) }, 'no snapshot (mode never): streaming from the current position');
      }
      // stopped during the snapshot: nothing is saved, so the next start snapshots again
      if (signal.aborted) return;
      this.acked = this.savedPosition(start);
      this.streamPosition = start;
      // joining the signal consumer group takes seconds: streaming does not wait for it
      const listening = this.signals.start((request) => this.onSnapshotRequest(request.tables));
      listening.catch((error: unknown) => logger.error({ err: error }, 'snapshot requests cannot be received'));
      try {
        if (!signal.aborted) await this.stream(start, signal);
      } catch (error) {
        if (!this.source.isPositionLost(error) || this.settings.binlogPurged !== 'snapshot') throw error;
        logger.warn({ position: this.source.encodePosition(start) }, 'the position to resume from is gone (binlog purged): taking a new snapshot (binlogPurged: snapshot)');
        start = await this.snapshot(signal);
        if (signal.aborted) return;
        this.streamPosition = start;
        await this.stream(start, signal);
      }
    } finally {
      clearInterval(positionSaves);
      await this.signals.stop().catch(() => undefined);
      await this.savePosition().catch((error: unknown) => logger.warn({ err: error }, 'final position not saved'));
      await this.writer.close();
      await this.source.close();
    }
  }

  private savedPosition(position: P): SavedCapturePosition {
    return { version: 1, snapshotCompleted: true, savedAtMs: 0, ...this.source.encodePosition(position) };
  }

  private async snapshot(signal: AbortSignal): Promise<P> {
    const snapshot = await this.source.snapshot(this.tables, this.settings.snapshot.pageSize);
    const position = this.source.encodePosition(snapshot.position);
    this.settings.logger.info({ tables: this.tables.length, position }, 'snapshot started');
    const progress = new SnapshotProgressTracker(this.tables, snapshot.estimatedRows);
    const report = this.settings.onSnapshotProgress;
    report?.(progress.progress());
    try {
      for await (const page of snapshot.pages()) {
        if (signal.aborted) return snapshot.position;
        await this.send(this.snapshotChanges(page, snapshot.startedAtMs));
        this.stats.snapshotRows += page.rows.length;
        progress.page(page.table, page.rows.length);
        report?.(progress.progress());
      }
    } finally {
      await snapshot.close();
    }
    progress.complete();
    report?.(progress.progress());
    this.acked = this.savedPosition(snapshot.position);
    await this.savePosition();
    this.settings.logger.info({ rows: this.stats.snapshotRows, position }, 'snapshot completed');
    return snapshot.position;
  }

  private snapshotChanges(page: SnapshotPage, tsMs: number): OutgoingChange[] {
    return page.rows.map((row, index): OutgoingChange => ({
      columns: page.table.columns,
      primaryKey: page.table.primaryKey,
      event: this.source.readEvent(page.table, row, page.last && index === page.rows.length - 1 ? 'last' : 'true', tsMs),
    }));
  }

  private async stream(start: P, signal: AbortSignal): Promise<void> {
    const maxPending = this.settings.maxPendingEvents ?? this.settings.batch.maxMessages * 20;
    let pending = 0;
    let control: FlowControl | undefined;
    let paused = false;
    const batches = this.source.changes(start, {
      maxItems: this.settings.batch.maxMessages,
      maxDelayMs: this.settings.batch.maxDelayMs,
      onFlowControl: (flow) => (control = flow),
    });
    await lastValueFrom(
      merge(batches, interval(250).pipe(map((): StreamBatch<P> => TICK))).pipe(
        takeUntil(fromEvent(signal, 'abort')),
        tap((batch) => {
          if ('tick' in batch) return;
          pending += batch.items.length;
          if (pending > this.stats.maxPending) this.stats.maxPending = pending;
          if (!paused && pending > maxPending) {
            paused = true;
            this.stats.pauses += 1;
            control?.pause();
          }
        }),
        concatMap(async (batch) => {
          const items = 'tick' in batch ? [] : batch.items;
          // the position of the previous, acknowledged batch rides along with this batch's request
          const previous = this.unsavedPosition();
          const changes = await this.streamChanges(batch);
          const savedAtMs = Date.now();
          await this.send(changes, previous === undefined ? [] : [this.positions.message(this.sourceId, { ...previous.position, savedAtMs })]);
          if (previous !== undefined) this.markSaved(previous, savedAtMs);
          const last = items[items.length - 1]?.position;
          if (last !== undefined) this.acked = this.savedPosition(last);
          this.ackedIncremental = this.incremental.state();
          if (items.length > 0) this.stats.batches += 1;
          pending -= items.length;
          // nothing queued behind this batch: save its position now rather than with the next one
          // (a failed save is not fatal: the position rides along with the next batch, whose send is retried)
          if (pending === 0) await this.savePosition().catch((error: unknown) => this.settings.logger.warn({ err: error }, 'position not saved; it is sent with the next batch'));
          if (paused && pending <= maxPending / 2) {
            paused = false;
            control?.resume();
          }
        }),
      ),
      { defaultValue: undefined },
    );
  }

  private async streamChanges(batch: StreamBatch<P>): Promise<OutgoingChange[]> {
    const changes: OutgoingChange[] = [];
    if ('tick' in batch) {
      changes.push(...this.reachedChunk());
    } else {
      for (const item of batch.items) {
        if (item.kind === 'mark') {
          this.streamPosition = item.position;
          changes.push(...this.reachedChunk());
          continue;
        }
        changes.push({ columns: item.columns, primaryKey: item.primaryKey, event: item.event });
        this.stats.streamedRows += 1;
      }
    }
    if (this.incremental.active) {
      await this.incremental.prepare();
      changes.push(...this.reachedChunk());
    }
    return changes;
  }

  /** The rows of the waiting incremental-snapshot chunk, when the stream has reached its position. */
  private reachedChunk(): OutgoingChange[] {
    if (this.streamPosition === undefined) return [];
    const reached = this.incremental.takeReached(this.streamPosition);
    if (reached === undefined) return [];
    const { table } = reached.chunk;
    this.stats.snapshotRows += reached.chunk.rows.length;
    return reached.chunk.rows.map((row): OutgoingChange => ({ columns: table.columns, primaryKey: table.primaryKey, event: this.source.readEvent(table, row, 'incremental', Date.now()) }));
  }

  /** Queues an incremental snapshot of tables (`db.table`) and saves the request with the position. */
  private async onSnapshotRequest(tables: readonly string[]): Promise<void> {
    const added = this.incremental.request(tables);
    if (added.length === 0) return;
    this.settings.logger.info({ tables: added }, 'incremental snapshot requested');
    this.ackedIncremental = { ...this.ackedIncremental, queue: [...this.ackedIncremental.queue, ...added.filter((table) => !this.ackedIncremental.queue.includes(table))] };
    await this.savePosition();
  }

  private async send(changes: readonly OutgoingChange[], trailer: readonly TopicMessages[] = []): Promise<void> {
    await retry(
      async () => {
        const startedMs = performance.now();
        await this.writer.write(changes, trailer);
        if (changes.length > 0) this.settings.onProduced?.(changes.map((change) => change.event), performance.now() - startedMs);
      },
      {
        policy: this.settings.retryPolicy ?? DEFAULT_RETRY_POLICY,
        what: 'writing change events to Kafka',
        onRetry: (error, attempt, delayMs) => this.settings.logger.warn({ err: error, attempt, delayMs }, 'Kafka write failed; retrying'),
      },
    );
  }

  /** The acknowledged position when it differs from the last one saved. */
  private unsavedPosition(): { position: SavedCapturePosition; json: string } | undefined {
    const acked = this.acked;
    if (acked === undefined) return undefined;
    const { incremental: _previous, ...base } = acked;
    const position: SavedCapturePosition = { ...base, ...(this.ackedIncremental.queue.length > 0 ? { incremental: this.ackedIncremental } : {}), savedAtMs: 0 };
    const json = JSON.stringify(position);
    return json === this.lastSavedJson ? undefined : { position, json };
  }

  private markSaved(saved: { position: SavedCapturePosition; json: string }, savedAtMs: number): void {
    this.lastSavedJson = saved.json;
    this.stats.lastSaved = { ...saved.position, savedAtMs };
  }

  private async savePosition(): Promise<void> {
    const unsaved = this.unsavedPosition();
    if (unsaved === undefined) return;
    const savedAtMs = Date.now();
    await this.positions.save(this.writer.kafkaProducer, this.sourceId, { ...unsaved.position, savedAtMs });
    this.markSaved(unsaved, savedAtMs);
  }
}
