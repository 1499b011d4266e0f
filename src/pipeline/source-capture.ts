import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ChangeEvent } from '../model/change-event.js';
import { fromEvent, lastValueFrom, of } from 'rxjs';
import type { TableInfo } from '../model/table.js';
import type { OutgoingChange } from '../model/outgoing-change.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry.js';
import { batchItems, type CaptureBatch, type StreamBatch } from '../operators/capture-batch.js';
import { collectChanges } from '../operators/collect-changes.js';
import { captureStream, type CaptureStages } from '../operators/capture-stream.js';
import { produceBatch, retryingSend } from '../operators/produce-batch.js';
import { PendingEvents } from '../operators/track-pending.js';
import type { CdcSource, ChangeBatch, FlowControl, SnapshotPage, SourceSnapshot } from '../sources/source.js';
import { CapturePositions, type SavedCapturePosition, type UnsavedPosition } from '../streams/capture-positions.js';
import type { ChangeTopicPolicy } from '../streams/change-topic-policy.js';
import { ChangeWriter } from '../streams/change-writer.js';
import { IncrementalSnapshots } from '../streams/incremental-snapshots.js';
import { PositionStore } from '../streams/position-store.js';
import { SnapshotProgressTracker, type SnapshotProgressListener } from '../streams/snapshot-progress.js';
import { SnapshotSignalListener } from '../streams/snapshot-signals.js';
import { positionTopic } from '../streams/topic-names.js';

export type { SavedCapturePosition } from '../streams/capture-positions.js';

/** How often an idle stream still runs its stages (incremental chunks, the position save). */
const IDLE_TICK_MS = 250;

/**
 * Batches of events read but not acknowledged by Kafka before reading pauses (default of
 * maxPendingEvents, in kafka.batch.maxMessages): enough to keep the producer busy while the
 * binlog reader refills, and the same bound on a short backlog as on a long one, so memory stays flat.
 */
const PENDING_BATCHES = 5;

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
 *
 * The capture is a composition of the operators of src/operators/ (docs/architecture.md):
 * snapshot pages go `collectChanges -> produceBatch`; the stream goes `withIdleTicks ->
 * trackPending`, then each batch, one at a time, `collectChanges -> carryPosition ->
 * produceBatch -> releasePending -> savePositionAfterAck`.
 */
export class SourceCapture<P> {
  readonly stats: CaptureStats = { snapshotRows: 0, streamedRows: 0, batches: 0, pauses: 0, maxPending: 0, lastSaved: undefined };
  private readonly writer: ChangeWriter;
  private readonly positions: CapturePositions;
  private readonly incremental: IncrementalSnapshots<P>;
  private readonly signals: SnapshotSignalListener;
  /** Writes a batch to Kafka with its position save, retried while the failure is transient. */
  private readonly send: (batch: CaptureBatch<unknown, UnsavedPosition>) => Promise<void>;
  private tables: readonly TableInfo[] = [];
  /** The position of the transactions the stream has emitted (where incremental chunks may go). */
  private streamPosition: P | undefined;

  constructor(
    kafka: Kafka,
    private readonly settings: CaptureSettings,
    private readonly source: CdcSource<P>,
  ) {
    this.writer = new ChangeWriter(kafka, settings);
    const store = new PositionStore<SavedCapturePosition>(kafka, positionTopic(settings.topicPrefix));
    this.positions = new CapturePositions(store, () => this.writer.kafkaProducer, `${source.connector}:${settings.pipeline}`, (saved) => (this.stats.lastSaved = saved));
    this.incremental = new IncrementalSnapshots(source, settings.snapshot.pageSize, (name) => source.tableInfo(name), settings.logger);
    this.signals = new SnapshotSignalListener(kafka, settings.topicPrefix, settings.pipeline, settings.replicationFactor);
    this.send = retryingSend((changes, positionSave) => this.writer.write(changes, positionSave?.messages ?? []), {
      policy: settings.retryPolicy ?? DEFAULT_RETRY_POLICY,
      onRetry: (error, attempt, delayMs) => settings.logger.warn({ err: error, attempt, delayMs }, 'Kafka write failed; retrying'),
      ...(settings.onProduced === undefined ? {} : { onProduced: settings.onProduced }),
    });
  }

  /** Runs until `signal` aborts (then saves the last acknowledged position) or a fatal error. */
  async run(signal: AbortSignal): Promise<void> {
    await this.writer.connect();
    await this.source.open();
    const positionSaves = setInterval(() => void this.positions.save().catch((error: unknown) => this.settings.logger.warn({ err: error }, 'position not saved')), this.settings.positionIntervalMs);
    try {
      const start = await this.start(signal);
      // stopped during the snapshot: nothing is saved, so the next start snapshots again
      if (signal.aborted) return;
      this.positions.acknowledge(this.source.encodePosition(start));
      this.streamPosition = start;
      this.listenForSignals();
      await this.streamOrSnapshotAgain(start, signal);
    } finally {
      clearInterval(positionSaves);
      await this.stop();
    }
  }

  /** Where streaming starts: after a snapshot when one is needed, else the saved or the current position. */
  private async start(signal: AbortSignal): Promise<P> {
    const { logger } = this.settings;
    const saved = this.settings.resnapshot === true ? undefined : await this.positions.load();
    if (saved?.incremental !== undefined) this.incremental.restore(saved.incremental);
    this.tables = [...(await this.source.readCatalog()).values()];
    await this.writer.ensureTableTopics(this.tables);
    const { mode } = this.settings.snapshot;
    const snapshotNeeded = mode === 'always' || (mode === 'initial' && saved?.snapshotCompleted !== true);
    if (snapshotNeeded && !signal.aborted) return this.snapshot(signal);
    if (saved !== undefined) {
      logger.info({ position: saved }, 'resuming from the saved position');
      return this.source.decodePosition(saved);
    }
    const current = await this.source.currentPosition();
    logger.info({ position: this.source.encodePosition(current) }, 'no snapshot (mode never): streaming from the current position');
    return current;
  }

  /** Joins the signal consumer group in the background (it takes seconds: streaming does not wait). */
  private listenForSignals(): void {
    const listening = this.signals.start((request) => this.onSnapshotRequest(request.tables));
    listening.catch((error: unknown) => this.settings.logger.error({ err: error }, 'snapshot requests cannot be received'));
  }

  /** Streams from `start`; when that position is gone and `binlogPurged: snapshot`, snapshots again and streams from there. */
  private async streamOrSnapshotAgain(start: P, signal: AbortSignal): Promise<void> {
    try {
      if (!signal.aborted) await this.stream(start, signal);
    } catch (error) {
      if (!this.source.isPositionLost(error) || this.settings.binlogPurged !== 'snapshot') throw error;
      this.settings.logger.warn({ position: this.source.encodePosition(start) }, 'the position to resume from is gone (binlog purged): taking a new snapshot (binlogPurged: snapshot)');
      const again = await this.snapshot(signal);
      if (signal.aborted) return;
      this.streamPosition = again;
      await this.stream(again, signal);
    }
  }

  /** Stops listening for signals, saves the acknowledged position, disconnects. */
  private async stop(): Promise<void> {
    await this.signals.stop().catch(() => undefined);
    await this.positions.save().catch((error: unknown) => this.settings.logger.warn({ err: error }, 'final position not saved'));
    await this.writer.close();
    await this.source.close();
  }

  /** Takes a snapshot into Kafka and, when it completed, saves its position (streaming starts there). */
  private async snapshot(signal: AbortSignal): Promise<P> {
    const snapshot = await this.source.snapshot(this.tables, this.settings.snapshot.pageSize);
    const position = this.source.encodePosition(snapshot.position);
    this.settings.logger.info({ tables: this.tables.length, position }, 'snapshot started');
    let completed = false;
    try {
      completed = await this.copySnapshot(snapshot, signal);
    } finally {
      await snapshot.close();
    }
    if (!completed) return snapshot.position;
    this.positions.acknowledge(position);
    await this.positions.save();
    this.settings.logger.info({ rows: this.stats.snapshotRows, position }, 'snapshot completed');
    return snapshot.position;
  }

  /** The snapshot's pages into Kafka, one page at a time (read only when the previous one is acknowledged); false when stopped before the end. */
  private async copySnapshot(snapshot: SourceSnapshot<P>, signal: AbortSignal): Promise<boolean> {
    const progress = new SnapshotProgressTracker(this.tables, snapshot.estimatedRows);
    const report = this.settings.onSnapshotProgress;
    report?.(progress.progress());
    for await (const page of snapshot.pages()) {
      if (signal.aborted) return false;
      await lastValueFrom(
        of(page).pipe(
          collectChanges<SnapshotPage, UnsavedPosition>((snapshotPage) => of(this.snapshotChanges(snapshotPage, snapshot.startedAtMs))),
          produceBatch(this.send),
        ),
      );
      this.stats.snapshotRows += page.rows.length;
      progress.page(page.table, page.rows.length);
      report?.(progress.progress());
    }
    progress.complete();
    report?.(progress.progress());
    return true;
  }

  private snapshotChanges(page: SnapshotPage, tsMs: number): OutgoingChange[] {
    return page.rows.map((row, index): OutgoingChange => ({
      columns: page.table.columns,
      primaryKey: page.table.primaryKey,
      event: this.source.readEvent(page.table, row, page.last && index === page.rows.length - 1 ? 'last' : 'true', tsMs),
    }));
  }

  /** The change stream from `start` into Kafka, until `signal` aborts or an error. */
  private async stream(start: P, signal: AbortSignal): Promise<void> {
    let control: FlowControl | undefined;
    const pending = new PendingEvents(this.settings.maxPendingEvents ?? this.settings.batch.maxMessages * PENDING_BATCHES, {
      flow: () => control,
      onPause: () => (this.stats.pauses += 1),
      onCount: (count) => (this.stats.maxPending = Math.max(this.stats.maxPending, count)),
    });
    const batches = this.source.changes(start, {
      maxItems: this.settings.batch.maxMessages,
      maxDelayMs: this.settings.batch.maxDelayMs,
      onFlowControl: (flow) => (control = flow),
    });
    const stages: CaptureStages<P, UnsavedPosition> = {
      changesOf: (batch) => this.streamChanges(batch),
      send: this.send,
      positions: { unsaved: () => this.positions.unsaved(), acknowledge: (batch) => this.acknowledged(batch), save: () => this.positions.save() },
      pending,
      idleTickMs: IDLE_TICK_MS,
      onSaveFailed: (error) => this.settings.logger.warn({ err: error }, 'position not saved; it is sent with the next batch'),
      until: fromEvent(signal, 'abort'),
    };
    await lastValueFrom(batches.pipe(captureStream(stages)), { defaultValue: undefined });
  }

  /** Kafka acknowledged `batch`: its last position (and the incremental snapshots' state) is the one to save. */
  private acknowledged(batch: StreamBatch<P>): void {
    const items = batchItems(batch);
    const last = items[items.length - 1]?.position;
    this.positions.acknowledge(last === undefined ? undefined : this.source.encodePosition(last), this.incremental.state());
    if (items.length > 0) this.stats.batches += 1;
  }

  /** The change events of a stream batch, with the incremental-snapshot rows the stream has reached. */
  private async streamChanges(batch: StreamBatch<P>): Promise<OutgoingChange[]> {
    const changes: OutgoingChange[] = [];
    if ('tick' in batch) changes.push(...this.reachedChunk());
    else this.addBatchChanges(batch, changes);
    if (this.incremental.active) {
      await this.incremental.prepare();
      changes.push(...this.reachedChunk());
    }
    return changes;
  }

  private addBatchChanges(batch: ChangeBatch<P>, changes: OutgoingChange[]): void {
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
    this.positions.request(added);
    await this.positions.save();
  }
}
