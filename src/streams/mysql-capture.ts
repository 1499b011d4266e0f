import type { Kafka, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { bufferTime, concatMap, filter, fromEvent, interval, lastValueFrom, map, merge, takeUntil, tap } from 'rxjs';
import { createPool, type ConnectionOptions, type Pool } from 'mysql2/promise';
import { describeError } from '../errors.js';
import { retry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry.js';
import type { ChangeEvent } from '../model/change-event.js';
import { isBinlogPurged, readBinlog, type BinlogItem, type BinlogPosition, type BinlogRowChange } from '../sources/mysql/binlog-reader.js';
import { openSnapshot, type SnapshotPage } from '../sources/mysql/snapshot-reader.js';
import { readTableCatalog, readTableInfo, withCatalogJsonTypes } from '../sources/mysql/table-catalog.js';
import { splitTableKey, tableKey, type TableFilter, type TableInfo } from '../model/table.js';
import { SLUICE_VERSION } from '../version.js';
import type { ChangeTopicPolicy } from './change-topic-policy.js';
import { currentGtidPosition } from '../sources/mysql/snapshot-position.js';
import type { SnapshotLocking } from '../sources/mysql/snapshot-position.js';
import { ChangeWriter, type OutgoingChange } from './change-writer.js';
import { IncrementalSnapshots, type IncrementalSnapshotState } from './incremental-snapshots.js';
import { SnapshotSignalListener } from './snapshot-signals.js';
import { PositionStore } from './position-store.js';
import { positionTopic } from './topic-names.js';

/** The position a MySQL capture saves in the position topic. */
export interface SavedCapturePosition extends BinlogPosition {
  readonly version: 1;
  readonly snapshotCompleted: boolean;
  readonly savedAtMs: number;
  /** Incremental snapshots requested and not finished yet. */
  readonly incremental?: IncrementalSnapshotState;
}

type StreamItem = BinlogItem | { readonly kind: 'tick' };
const TICK: StreamItem = { kind: 'tick' };

/** Settings of a {@link MysqlCapture}. */
export interface MysqlCaptureSettings {
  readonly pipeline: string;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly connection: ConnectionOptions;
  readonly serverId: number;
  readonly databases: readonly string[];
  readonly filter: TableFilter;
  readonly snapshot: { readonly mode: 'initial' | 'never' | 'always'; readonly pageSize: number; readonly locking?: SnapshotLocking };
  readonly batch: { readonly maxMessages: number; readonly maxDelayMs: number };
  /** Upper bound of one produce request's payload (kafka.batch.maxBytes). */
  readonly maxRequestBytes?: number;
  /**
   * The position is saved after every acknowledged batch; this interval also saves it when
   * nothing was captured (heartbeat).
   */
  readonly positionIntervalMs: number;
  /** Heartbeat period of the binlog connection (see BinlogReaderOptions.heartbeatMs). */
  readonly binlogHeartbeatMs?: number;
  /** Above this many unacknowledged events, reading pauses until half of them are acknowledged. */
  readonly maxPendingEvents?: number;
  /** What to do when the binlog to resume from was purged: stop with the error (default), or snapshot again. */
  readonly binlogPurged?: 'fail' | 'snapshot';
  /** Ignore the saved position and snapshot again. */
  readonly resnapshot?: boolean;
  /** How change topics keep messages (kafka.topics); default: compacted, tombstones after deletes. */
  readonly changeTopics?: ChangeTopicPolicy;
  readonly retryPolicy?: RetryPolicy;
  readonly logger: Logger;
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
 * Captures a MySQL/MariaDB database into Kafka: a consistent snapshot (when there is no saved
 * position), then the binlog from exactly where the snapshot was consistent. Events go out in
 * binlog order; a batch's position is saved only after Kafka acknowledged the batch and every
 * earlier one (in the next batch's request under load, at once when idle), so a restart (even
 * after kill -9) skips nothing and re-emits at most the last two batches.
 */
export class MysqlCapture {
  readonly stats: CaptureStats = { snapshotRows: 0, streamedRows: 0, batches: 0, pauses: 0, maxPending: 0, lastSaved: undefined };
  private readonly writer: ChangeWriter;
  private readonly positions: PositionStore<SavedCapturePosition>;
  private readonly sourceId: string;
  private readonly tables = new Map<string, TableInfo | null>();
  private readonly incremental: IncrementalSnapshots;
  private readonly signals: SnapshotSignalListener;
  private pool: Pool | undefined;
  private acked: SavedCapturePosition | undefined;
  private ackedIncremental: IncrementalSnapshotState = { queue: [] };
  private lastSavedJson = '';
  /** The GTID position of the transactions the stream has emitted (where incremental chunks may go). */
  private streamPosition = '';

  constructor(
    kafka: Kafka,
    private readonly settings: MysqlCaptureSettings,
  ) {
    this.writer = new ChangeWriter(kafka, settings);
    this.positions = new PositionStore(kafka, positionTopic(settings.topicPrefix));
    this.sourceId = `mysql:${settings.pipeline}`;
    this.incremental = new IncrementalSnapshots(settings.connection, settings.snapshot.pageSize, (name) => this.tableInfoByName(name), settings.logger, settings.snapshot.locking);
    this.signals = new SnapshotSignalListener(kafka, settings.topicPrefix, settings.pipeline, settings.replicationFactor);
  }

  /** Runs until `signal` aborts (then saves the last acknowledged position) or a fatal error. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.settings;
    await this.writer.connect();
    this.pool = createPool({ ...this.settings.connection, connectionLimit: 2 });
    const heartbeat = setInterval(() => void this.savePosition().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'position not saved')), this.settings.positionIntervalMs);
    try {
      const saved = this.settings.resnapshot === true ? undefined : await this.positions.load(this.sourceId);
      if (saved?.incremental !== undefined) {
        this.incremental.restore(saved.incremental);
        this.ackedIncremental = saved.incremental;
      }
      for (const [key, info] of await readTableCatalog(this.pool, this.settings.databases, this.settings.filter)) this.tables.set(key, info);
      await this.writer.ensureTableTopics([...this.tables.values()].filter((info): info is TableInfo => info !== null));
      let start: BinlogPosition;
      const snapshotNeeded = this.settings.snapshot.mode === 'always' || (this.settings.snapshot.mode === 'initial' && saved?.snapshotCompleted !== true);
      if (snapshotNeeded && !signal.aborted) {
        start = { gtidPosition: await this.snapshot(signal) };
      } else if (saved !== undefined) {
        start = saved;
        logger.info({ position: saved }, 'resuming from the saved position');
      } else {
        start = { gtidPosition: await this.currentGtidPosition() };
        logger.info({ position: start }, 'no snapshot (mode never): streaming from the current binlog position');
      }
      // stopped during the snapshot: nothing is saved, so the next start snapshots again
      if (signal.aborted) return;
      this.acked = { version: 1, snapshotCompleted: true, savedAtMs: 0, ...start };
      this.streamPosition = start.gtidPosition;
      // joining the signal consumer group takes seconds: streaming does not wait for it
      const listening = this.signals.start((request) => this.onSnapshotRequest(request.tables));
      listening.catch((error: unknown) => logger.error({ err: describeError(error) }, 'snapshot requests cannot be received'));
      try {
        if (!signal.aborted) await this.stream(start, signal);
      } catch (error) {
        if (!isBinlogPurged(error) || this.settings.binlogPurged !== 'snapshot') throw error;
        logger.warn({ position: start }, 'the binlog to resume from was purged: taking a new snapshot (binlogPurged: snapshot)');
        start = { gtidPosition: await this.snapshot(signal) };
        if (signal.aborted) return;
        this.streamPosition = start.gtidPosition;
        await this.stream(start, signal);
      }
    } finally {
      clearInterval(heartbeat);
      await this.signals.stop().catch(() => undefined);
      await this.savePosition().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'final position not saved'));
      await this.writer.close();
      await this.pool.end();
    }
  }

  private async snapshot(signal: AbortSignal): Promise<string> {
    const tables = [...this.tables.values()].filter((info): info is TableInfo => info !== null);
    const snapshot = await openSnapshot(this.settings.connection, tables, this.settings.snapshot.pageSize, this.settings.snapshot.locking);
    this.settings.logger.info({ tables: tables.length, gtidPosition: snapshot.gtidPosition }, 'snapshot started');
    try {
      for await (const page of snapshot.pages()) {
        if (signal.aborted) return snapshot.gtidPosition;
        await this.send(this.snapshotChanges(page, snapshot.startedAtMs));
        this.stats.snapshotRows += page.rows.length;
      }
    } finally {
      await snapshot.close();
    }
    this.acked = { version: 1, gtidPosition: snapshot.gtidPosition, snapshotCompleted: true, savedAtMs: 0 };
    await this.savePosition();
    this.settings.logger.info({ rows: this.stats.snapshotRows, gtidPosition: snapshot.gtidPosition }, 'snapshot completed');
    return snapshot.gtidPosition;
  }

  private snapshotChanges(page: SnapshotPage, tsMs: number): OutgoingChange[] {
    return page.rows.map((row, index): OutgoingChange => ({
      columns: page.table.columns,
      primaryKey: page.table.primaryKey,
      event: {
        op: 'r',
        before: null,
        after: row,
        source: this.sourceFields(page.table.db, page.table.table, tsMs, page.last && index === page.rows.length - 1 ? 'last' : 'true', null, null, null, 0),
        tsMs: Date.now(),
        transaction: null,
      },
    }));
  }

  private async stream(start: BinlogPosition, signal: AbortSignal): Promise<void> {
    const maxPending = this.settings.maxPendingEvents ?? this.settings.batch.maxMessages * 20;
    let pending = 0;
    let control: { pause(): void; resume(): void } | undefined;
    let paused = false;
    const items = readBinlog({
      connection: this.settings.connection,
      serverId: this.settings.serverId,
      databases: this.settings.databases,
      filter: this.settings.filter,
      start,
      ...(this.settings.binlogHeartbeatMs === undefined ? {} : { heartbeatMs: this.settings.binlogHeartbeatMs }),
      onFlowControl: (flow) => (control = flow),
    });
    await lastValueFrom(
      merge(items, interval(250).pipe(map(() => TICK))).pipe(
        takeUntil(fromEvent(signal, 'abort')),
        tap((item) => {
          if (item.kind === 'tick') return;
          pending += 1;
          if (pending > this.stats.maxPending) this.stats.maxPending = pending;
          if (!paused && pending > maxPending) {
            paused = true;
            this.stats.pauses += 1;
            control?.pause();
          }
        }),
        bufferTime(this.settings.batch.maxDelayMs, null, this.settings.batch.maxMessages),
        filter((batch) => batch.length > 0),
        concatMap(async (batch) => {
          // the position of the previous, acknowledged batch rides along with this batch's request
          const previous = this.unsavedPosition();
          await this.send(await this.streamChanges(batch), previous === undefined ? [] : [this.positions.message(this.sourceId, { ...previous.position, savedAtMs: Date.now() })]);
          if (previous !== undefined) this.markSaved(previous);
          const positions = batch.filter((item): item is BinlogItem => item.kind !== 'tick');
          const last = positions[positions.length - 1]?.position;
          if (last !== undefined) this.acked = { version: 1, snapshotCompleted: true, savedAtMs: 0, ...last };
          this.ackedIncremental = this.incremental.state();
          this.stats.batches += 1;
          pending -= positions.length;
          // nothing queued behind this batch: save its position now rather than with the next one
          if (pending === 0) await this.savePosition();
          if (paused && pending <= maxPending / 2) {
            paused = false;
            control?.resume();
          }
        }),
      ),
      { defaultValue: undefined },
    );
  }

  private async streamChanges(batch: readonly StreamItem[]): Promise<OutgoingChange[]> {
    const changes: OutgoingChange[] = [];
    for (const item of batch) {
      if (item.kind === 'tick') {
        changes.push(...this.reachedChunk());
        continue;
      }
      if (item.kind === 'mark') {
        // a DDL without a default schema may name any table (`db`.`t`): forget them all
        if (item.ddlSchema !== undefined) for (const key of [...this.tables.keys()]) if (item.ddlSchema === '' || key.startsWith(`${item.ddlSchema}.`)) this.tables.delete(key);
        this.streamPosition = item.position.gtidPosition;
        changes.push(...this.reachedChunk());
        continue;
      }
      const info = await this.tableInfo(item.db, item.table);
      changes.push({ columns: withCatalogJsonTypes(item.columns, info), primaryKey: info?.primaryKey ?? [], event: this.streamEvent(item) });
      this.stats.streamedRows += 1;
    }
    if (this.incremental.active) {
      await this.incremental.prepare();
      changes.push(...this.reachedChunk());
    }
    return changes;
  }

  /** The rows of the waiting incremental-snapshot chunk, when the stream has reached its position. */
  private reachedChunk(): OutgoingChange[] {
    const reached = this.incremental.takeReached(this.streamPosition);
    if (reached === undefined) return [];
    const { table } = reached.chunk;
    this.stats.snapshotRows += reached.chunk.rows.length;
    return reached.chunk.rows.map((row): OutgoingChange => ({
      columns: table.columns,
      primaryKey: table.primaryKey,
      event: { op: 'r', before: null, after: row, source: this.sourceFields(table.db, table.table, Date.now(), 'incremental', null, null, null, 0), tsMs: Date.now(), transaction: null },
    }));
  }

  /** Queues an incremental snapshot of tables (`db.table`) and saves the request with the position. */
  private async onSnapshotRequest(tables: readonly string[]): Promise<void> {
    const added = this.incremental.request(tables);
    if (added.length === 0) return;
    this.settings.logger.info({ tables: added }, 'incremental snapshot requested');
    this.ackedIncremental = { ...this.ackedIncremental, queue: [...this.ackedIncremental.queue, ...added.filter((table) => !this.ackedIncremental.queue.includes(table))] };
    await this.savePosition();
  }

  /** The info of a captured table named `db.table`; null when it is not captured or does not exist. */
  private async tableInfoByName(name: string): Promise<TableInfo | null> {
    const parts = splitTableKey(name);
    if (parts === undefined || !this.settings.filter(parts.db, parts.table)) return null;
    return this.tableInfo(parts.db, parts.table);
  }

  private streamEvent(item: BinlogRowChange): ChangeEvent {
    return {
      op: item.op,
      before: item.before,
      after: item.after,
      source: this.sourceFields(item.db, item.table, item.tsMs, 'false', item.gtid, item.file, item.pos, item.row),
      tsMs: Date.now(),
      transaction: { id: item.gtid, totalOrder: item.row + 1 },
    };
  }

  private sourceFields(db: string, table: string, tsMs: number, snapshot: ChangeEvent['source']['snapshot'], gtid: string | null, file: string | null, pos: number | null, row: number): ChangeEvent['source'] {
    return { version: SLUICE_VERSION, connector: 'mysql', name: this.settings.pipeline, tsMs, snapshot, db, table, serverId: this.settings.serverId, gtid, file, pos, row };
  }

  /** A table's info from the cache, read from the database when new (or dropped by a DDL). */
  private async tableInfo(db: string, table: string): Promise<TableInfo | null> {
    const key = tableKey(db, table);
    if (!this.tables.has(key)) this.tables.set(key, (await readTableInfo(this.pool!, db, table)) ?? null);
    return this.tables.get(key) ?? null;
  }

  private send(changes: readonly OutgoingChange[], trailer: readonly TopicMessages[] = []): Promise<void> {
    return retry(() => this.writer.write(changes, trailer), {
      policy: this.settings.retryPolicy ?? DEFAULT_RETRY_POLICY,
      what: 'writing change events to Kafka',
      onRetry: (error, attempt, delayMs) => this.settings.logger.warn({ err: describeError(error), attempt, delayMs }, 'Kafka write failed; retrying'),
    });
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

  private markSaved(saved: { position: SavedCapturePosition; json: string }): void {
    this.lastSavedJson = saved.json;
    this.stats.lastSaved = saved.position;
  }

  private async savePosition(): Promise<void> {
    const unsaved = this.unsavedPosition();
    if (unsaved === undefined) return;
    await this.positions.save(this.writer.kafkaProducer, this.sourceId, { ...unsaved.position, savedAtMs: Date.now() });
    this.markSaved(unsaved);
  }

  private async currentGtidPosition(): Promise<string> {
    const pool = this.pool!;
    return currentGtidPosition(async (sql) => (await pool.query(sql))[0]);
  }
}
