import type { Admin, Kafka } from 'kafkajs';
import type { ConnectionOptions, Pool } from 'mysql2/promise';
import { lastValueFrom, tap } from 'rxjs';
import type { Logger } from 'pino';
import type { DocumentDefinition } from '../config/document-definition.js';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import { columnsReadByExpansion } from '../descriptors/expand-change.js';
import { loadDescriptors, openReadPool } from '../descriptors/read-pool.js';
import { readTableCatalog } from '../sources/mysql/table-catalog.js';
import { describeError, SluiceError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, retry, type RetryPolicy } from '../retry.js';
import type { TableFilter } from '../model/table.js';
import { sinkGroupId } from '../streams/consumer-groups.js';
import { changeTopicConfig, DEFAULT_CHANGE_TOPIC_POLICY, type ChangeTopicPolicy } from '../streams/change-topic-policy.js';
import { ensureTopics } from '../streams/ensure-topics.js';
import { PageConsumer, type CommittablePage, type FetchLimits } from '../streams/page-consumer.js';
import { pageStream, type PendingPage } from '../streams/page-stream.js';
import { SchemaTopic } from '../streams/schema-topic.js';
import { changeTopic, deadLetterTopic, schemaTopic } from '../streams/topic-names.js';
import { DeadLetterWriter, type DeadLetter } from '../sinks/dead-letters.js';
import { backfillGroupId, markBackfillsOfNewIndexes, pendingBackfills, runBackfill, type BackfillCandidate } from './document-backfill.js';
import type { SearchEngine } from '../sinks/engine/search-engine.js';
import { BulkChannel } from '../sinks/elasticsearch/bulk-channel.js';
import { ensureDocumentIndex } from '../sinks/elasticsearch/document-index.js';
import { documentsReferencing } from '../sinks/elasticsearch/reference-lookup.js';
import { ElasticsearchVersionEpochStore } from '../sinks/elasticsearch/version-epoch-store.js';
import { VersionClock } from '../descriptors/version-clock.js';
import { buildBatch } from '../sinks/build-batch.js';
import { expandPage } from '../sinks/expand-page.js';
import { ChangeLog } from '../sinks/indexes/change-log.js';
import { DeadLetterIndex } from '../sinks/indexes/dead-letter-index.js';
import { CommitVisibility } from '../sinks/commit-visibility.js';
import { BatchesInFlight, type DecodedPage, type PageResult } from '../sinks/sink-page.js';
import { processPages, type PageStages } from '../operators/process-pages.js';
import type { SinkChangeEvent } from '../model/change-event.js';
import { LatencyRecorder, type LatencySummary } from '../sinks/latency-recorder.js';
import { decodeChangePage } from './page-decoder.js';
import { sourceDocument, type DocumentWriter } from '../sinks/writer.js';
import { ChannelRouter } from '../sinks/orchestrator/channel-router.js';
import { changedChannels, rebuildChannel } from '../sinks/orchestrator/mapping-change.js';
import { SnapshotSweeper } from '../sinks/orchestrator/missing-roots-sweep.js';
import { runFirstLoad, type FirstLoadReport } from './first-load.js';

/** Builds of one page running at once (each holds a read connection while it queries). */
const BUILD_CONCURRENCY = 3;
/**
 * Batches of ids between the expansion and the index, across the sink's pages, before an
 * expansion waits for room: enough for every partition's builds and the bulk channel's buffer,
 * and a bound on the ids a large fan-out holds.
 */
const MAX_BATCHES_IN_FLIGHT = 16;

/** How long a stopping sink lets in-flight writes finish before abandoning them. */
const STOP_GRACE_MS = 10_000;

/** Settings of a {@link DocumentPipeline}. */
export interface DocumentPipelineSettings {
  readonly pipeline: string;
  /** The pipeline file, for messages about its `documents` section. */
  readonly file: string;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly connection: ConnectionOptions;
  readonly databases: readonly string[];
  readonly isCaptured: TableFilter;
  readonly documents: Readonly<Record<string, DocumentDefinition>>;
  readonly pageSize: number;
  readonly buildBatchSize: number;
  readonly partitionsConsumedConcurrently: number;
  /** sink.fetch: what one Kafka fetch brings back at most (default DEFAULT_FETCH_LIMITS). */
  readonly fetch?: FetchLimits;
  readonly gcDeletes: string;
  readonly bulk: { readonly maxDocuments: number; readonly maxBytes: number; readonly maxAgeMs: number; readonly concurrency: number };
  /** sink.changeLog: write every change event to the change log (src/sinks/indexes/change-log.ts); off when absent. */
  readonly changeLog?: { readonly maxAgeMs: number };
  /** sink.deadLetters.index: also keep dead letters in sluice-dead-letters-<pipeline> (src/sinks/indexes/dead-letter-index.ts); off when absent. */
  readonly deadLetterIndex?: { readonly maxAgeMs: number };
  readonly retryPolicy?: RetryPolicy;
  /** How change topics the sink creates keep messages (kafka.topics); default: compacted. */
  readonly changeTopics?: ChangeTopicPolicy;
  /** Kafka consumer session timeout (the group evicts a member silent for this long). */
  readonly sessionTimeoutMs?: number;
  /** Called after each page is settled in Elasticsearch and before its offsets are committed (metrics, benchmarks). */
  readonly onPageAcknowledged?: (page: AcknowledgedPage) => void;
  /** Called once each dead letter is stored in Kafka (metrics, the status page). */
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * sink.firstLoad: a new pipeline builds every root once from the database instead of streaming
   * the capture's snapshot (src/pipeline/first-load.ts); `capture` is where it waits for the
   * capture's completed snapshot. Off when absent.
   */
  readonly firstLoad?: { readonly capture?: { readonly positionTopic: string; readonly sourceId: string } };
  /** Called once per settled operation of a first load (metrics). */
  readonly onFirstLoadWritten?: (kind: 'index' | 'delete', status: 'acknowledged' | 'superseded' | 'rejected') => void;
  /** Called when a first load is done (metrics, benchmarks). */
  readonly onFirstLoad?: (report: FirstLoadReport) => void;
  readonly logger: Logger;
}

/** What {@link DocumentPipelineSettings.onPageAcknowledged} reports. */
export interface AcknowledgedPage {
  readonly topic: string;
  readonly partition: number;
  /** The page's change events as the sink decoded them (see SinkChangeEvent); their row images hold only the columns the documents read (see columnsReadByExpansion), unless the change log is on. */
  readonly changes: readonly SinkChangeEvent[];
  readonly result: PageResult;
  /** When the last document of the page was acknowledged (ms since epoch). */
  readonly atMs: number;
}

/** Counters of a running document pipeline. */
export interface DocumentPipelineStats {
  pages: number;
  changes: number;
  documents: number;
  deletes: number;
  superseded: number;
  rejected: number;
  undecodable: number;
  /** Commit (source ts_ms) to acknowledged in Elasticsearch, for streamed (non-snapshot) changes. */
  latency: LatencySummary;
  /** The first load's writes (also counted in documents, deletes, superseded, rejected); `done` once it finished or was not needed. */
  firstLoad: { documents: number; deletes: number; done: boolean; report?: FirstLoadReport };
  /** Pages held until their changes were visible to the database reads (src/sinks/commit-visibility.ts), and how long in total. */
  visibilityWaits: { waits: number; waitedMs: number };
}

/**
 * The document pipeline, the whole consume side of a pipeline (formerly `DocumentSink`; the
 * `sluice sink` process runs it): consumes the change topics of every table the documents read
 * (consumer group `<pipeline>.sink`, so several sink processes share the partitions), runs each
 * page through the sink path (src/operators/process-pages.ts: decode, expand to root ids, batch,
 * build, write, commit) and commits the page's offsets only after every write
 * of the page is acknowledged, superseded or dead-lettered. A crash re-processes at most the
 * uncommitted pages; documents are always rebuilt from the current database state and written
 * with their snapshot's version, so re-processing is harmless.
 */
export class DocumentPipeline {
  /** Holds pages until their changes are visible to the database reads (made when the sink runs). */
  private visibility: CommitVisibility | undefined;
  private readonly counters: Omit<DocumentPipelineStats, 'latency' | 'firstLoad' | 'visibilityWaits'> = { pages: 0, changes: 0, documents: 0, deletes: 0, superseded: 0, rejected: 0, undecodable: 0 };
  private readonly firstLoad: DocumentPipelineStats['firstLoad'] = { documents: 0, deletes: 0, done: false };
  private readonly latency = new LatencyRecorder(10_000);

  /** The counters so far, with latency percentiles computed when asked (not on every page). */
  get stats(): DocumentPipelineStats {
    return { ...this.counters, latency: this.latency.summary(), firstLoad: { ...this.firstLoad }, visibilityWaits: { ...(this.visibility?.stats ?? { waits: 0, waitedMs: 0 }) } };
  }

  constructor(
    private readonly kafka: Kafka,
    private readonly elasticsearch: SearchEngine,
    private readonly settings: DocumentPipelineSettings,
  ) {}

  /** Checks the documents against the database and runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { settings } = this;
    const logger = settings.logger;
    const retryPolicy = settings.retryPolicy ?? { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY };
    const pool = openReadPool(settings.connection, BUILD_CONCURRENCY * 2 + 2);
    this.visibility = CommitVisibility.ofPool(pool, { logger });
    const deadLetterIndex = settings.deadLetterIndex === undefined ? undefined : new DeadLetterIndex(this.elasticsearch, settings.pipeline, settings.deadLetterIndex);
    const deadLetters = new DeadLetterWriter(this.kafka, deadLetterTopic(settings.topicPrefix), logger, retryPolicy, settings.onDeadLetter, deadLetterIndex);
    let writer: BulkChannel | undefined;
    // a page waiting on an unreachable Elasticsearch would hold the stop forever: a grace period
    // after the stop its writes are abandoned (nothing is committed for that page, so nothing is lost)
    let grace: NodeJS.Timeout | undefined;
    const startGrace = (): void => {
      grace = setTimeout(() => writer?.abort(new SluiceError('the sink is stopping')), STOP_GRACE_MS);
    };
    signal.addEventListener('abort', startGrace, { once: true });
    const admin = this.kafka.admin();
    try {
      // services that are not reachable yet are waited for; configuration and permanent errors stop at once
      const startup = <T>(what: string, operation: () => Promise<T>): Promise<T> =>
        retry(operation, {
          policy: retryPolicy,
          signal,
          what,
          where: `the sink of ${settings.file}`,
          onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, error: describeError(error) }, `${what} failed; retrying`),
        });
      const { descriptors, candidates, topics, changed } = await this.prepare(pool, admin, startup);
      writer = this.createWriter(deadLetters, retryPolicy);
      // continuous writes of a family being rebuilt for a mapping change go to the old and the new index
      const router = new ChannelRouter(writer);
      const versioning = new VersionClock(new ElasticsearchVersionEpochStore(this.elasticsearch, settings.pipeline), { logger });
      // rows deleted before a capture snapshot started leave no event: their documents are swept once per snapshot
      const sweeper = new SnapshotSweeper({
        engine: this.elasticsearch,
        pool,
        writer: router,
        descriptors,
        versioning,
        retry: (what, operation) => retry(operation, { policy: retryPolicy, signal, what, onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, error: describeError(error) }, `${what} failed; retrying`) }),
        onSwept: (document, sweep) => logger.info({ document, ...sweep }, 'capture snapshot seen: documents of rows deleted before it swept'),
      });
      const context: StageContext = {
        pool,
        writer: router,
        deadLetters,
        retryPolicy,
        signal,
        schemas: new SchemaTopic(this.kafka, schemaTopic(settings.topicPrefix)),
        versioning,
        inFlight: new BatchesInFlight(MAX_BATCHES_IN_FLIGHT),
        sweeper,
      };
      logger.info({ group: sinkGroupId(settings.pipeline), topics: topics.length, documents: descriptors.map((descriptor) => descriptor.name) }, 'sink starting');
      const pending = await startup('checking for pending backfills', () => pendingBackfills(admin, settings.pipeline, candidates));
      // a transient failure restarts a backfill from the offsets it committed
      const backfills = pending.map((candidate) => startup(`backfilling ${candidate.document}`, () => this.backfill(candidate, descriptors, admin, context)));
      // a managed channel whose mapping changed is rebuilt in the background (src/sinks/orchestrator/mapping-change.ts)
      const rebuilds = changed.map((descriptor) =>
        rebuildChannel(this.elasticsearch, pool, { descriptor, gcDeletes: settings.gcDeletes, pageSize: Math.min(settings.buildBatchSize, 1000), router, versioning, logger, signal }).catch((error: unknown) => {
          if (!signal.aborted) throw error;
        }),
      );
      // a new pipeline builds every root once from the database, then streams from the offsets taken before
      const streaming = (async () => {
        try {
          await startup('the first load', () => this.runFirstLoad(descriptors, admin, context));
        } catch (error) {
          // stopped during the first load: nothing was committed, the next start does it again
          if (signal.aborted) return;
          throw error;
        }
        await this.consume(topics, descriptors, context);
      })();
      await Promise.all([streaming, ...backfills, ...rebuilds]);
    } finally {
      await admin.disconnect().catch(() => undefined);
      if (grace === undefined) startGrace();
      await writer?.close().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'closing the bulk channel failed'));
      await deadLetters.close().catch(() => undefined);
      clearTimeout(grace);
      signal.removeEventListener('abort', startGrace);
      await pool.end().catch(() => undefined);
    }
  }

  /** Reads the catalog into descriptors, marks backfills of new indexes, creates the indexes and the topics, finds the channels whose mapping changed. */
  private async prepare(pool: Pool, admin: Admin, startup: <T>(what: string, operation: () => Promise<T>) => Promise<T>): Promise<{ descriptors: DocumentDescriptor[]; candidates: BackfillCandidate[]; topics: string[]; changed: DocumentDescriptor[] }> {
    const { settings } = this;
    const descriptors = await startup('reading the database catalog', () =>
      loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), settings.documents, {
        file: settings.file,
        pipeline: settings.pipeline,
        defaultDatabase: settings.databases.length === 1 ? settings.databases[0] : undefined,
        isCaptured: settings.isCaptured,
        databases: settings.databases,
        queries: pool,
      }),
    );
    // a document added to a running pipeline reads its topics from the beginning (see document-backfill.ts)
    const candidates: BackfillCandidate[] = descriptors.map((descriptor) => ({ document: descriptor.name, index: descriptor.index, topics: this.topicsOf([descriptor]) }));
    await startup('connecting to Kafka', () => admin.connect());
    for (const [position, descriptor] of descriptors.entries()) {
      const spec = { index: descriptor.index, settings: descriptor.settings, mappings: descriptor.mappings, gcDeletes: settings.gcDeletes, source: `documents.${descriptor.name} of ${settings.file}` };
      const result = await startup(`preparing index ${descriptor.index}`, async () => {
        // marked before the index exists, so that a crash in between repeats it
        await markBackfillsOfNewIndexes(admin, settings.pipeline, sinkGroupId(settings.pipeline), candidates.slice(position, position + 1), (index) => this.elasticsearch.indexExists(index));
        return ensureDocumentIndex(this.elasticsearch, spec);
      });
      settings.logger.info({ document: descriptor.name, index: descriptor.index, result }, 'document index ready');
    }
    // a managed channel whose mapping changed is rebuilt in the background (src/sinks/orchestrator/mapping-change.ts)
    const changed = await startup('checking the channels for mapping changes', () => changedChannels(this.elasticsearch, descriptors, settings.gcDeletes, settings.file));
    const topics = this.topicsOf(descriptors);
    await startup('creating the topics', () => this.ensureTopics(topics));
    return { descriptors: [...descriptors], candidates, topics, changed };
  }

  /** The bulk channel; a rejected operation's dead letter names the change it came from (its `trigger`). */
  private createWriter(deadLetters: DeadLetterWriter, retryPolicy: RetryPolicy): BulkChannel {
    const { settings } = this;
    return new BulkChannel(this.elasticsearch, {
      ...settings.bulk,
      retryPolicy,
      logger: settings.logger,
      onRejected: async (operation, reason, httpStatus) => {
        await deadLetters.write({
          kind: 'rejected-document',
          pipeline: settings.pipeline,
          reason,
          httpStatus,
          index: operation.index,
          documentId: operation.id,
          ...(operation.kind === 'index' ? { document: sourceDocument(operation) } : {}),
          ...(operation.trigger === undefined ? {} : { trigger: operation.trigger }),
          atMs: Date.now(),
        });
      },
    });
  }

  /** The sink's consumer group on every change topic: each page settled in the index, then committed. */
  private async consume(topics: readonly string[], descriptors: readonly DocumentDescriptor[], context: StageContext): Promise<void> {
    const { settings } = this;
    const consumer = new PageConsumer(this.kafka, {
      groupId: sinkGroupId(settings.pipeline),
      topics,
      pageSize: settings.pageSize,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      fetch: settings.fetch,
      sessionTimeoutMs: settings.sessionTimeoutMs ?? 30_000,
      retryPolicy: context.retryPolicy,
      logger: settings.logger,
    });
    const changeLog = settings.changeLog === undefined ? undefined : new ChangeLog(this.elasticsearch, settings.pipeline, settings.changeLog);
    const onSettled = async ({ page, changes }: DecodedPage, result: PageResult): Promise<void> => {
      await context.sweeper.afterPage(changes.map((change) => change.event));
      // before the page's offsets are committed: a crash writes the same entries again (same ids)
      if (changeLog !== undefined) {
        await retry(() => changeLog.write(changes), { policy: context.retryPolicy, signal: context.signal, what: 'writing the change log', where: `${page.topic} partition ${page.partition}` });
      }
      const atMs = Date.now();
      const events = changes.map((change) => change.event);
      this.latency.recordChanges(events, atMs);
      settings.onPageAcknowledged?.({ topic: page.topic, partition: page.partition, changes: events, result, atMs });
      this.count(result);
    };
    await runPages((handle) => consumer.run(context.signal, handle), this.stagesFor(descriptors, context, onSettled));
  }

  /** The first load (src/pipeline/first-load.ts) when sink.firstLoad is on and the sink's group has no offsets yet. */
  private async runFirstLoad(descriptors: readonly DocumentDescriptor[], admin: Admin, context: StageContext): Promise<void> {
    const { settings } = this;
    if (settings.firstLoad !== undefined) {
      const report = await runFirstLoad(
        this.kafka,
        admin,
        {
          pipeline: settings.pipeline,
          group: sinkGroupId(settings.pipeline),
          documents: descriptors.map((descriptor) => ({ descriptor, topics: this.topicsOf([descriptor]) })),
          ...(settings.firstLoad.capture === undefined ? {} : { capture: settings.firstLoad.capture }),
          pool: context.pool,
          engine: this.elasticsearch,
          writer: context.writer,
          versioning: context.versioning,
          buildBatchSize: settings.buildBatchSize,
          buildConcurrency: BUILD_CONCURRENCY,
          retryPolicy: context.retryPolicy,
          file: settings.file,
          logger: settings.logger,
          onWritten: (_document, outcome, kind) => {
            settings.onFirstLoadWritten?.(kind, outcome.status);
            if (outcome.status === 'acknowledged') {
              if (kind === 'index') {
                this.counters.documents += 1;
                this.firstLoad.documents += 1;
              } else {
                this.counters.deletes += 1;
                this.firstLoad.deletes += 1;
              }
            } else if (outcome.status === 'superseded') this.counters.superseded += 1;
            else this.counters.rejected += 1;
          },
        },
        context.signal,
      );
      this.firstLoad.report = report;
      if (report.documents.length > 0) settings.onFirstLoad?.(report);
    }
    this.firstLoad.done = true;
  }

  /** Reads a document's change topics from the beginning into it (see document-backfill.ts). */
  private async backfill(candidate: BackfillCandidate, descriptors: readonly DocumentDescriptor[], admin: Admin, context: StageContext): Promise<void> {
    const { settings } = this;
    const only = descriptors.filter((descriptor) => descriptor.name === candidate.document);
    const backfillSettings = {
      groupId: backfillGroupId(settings.pipeline, candidate.document),
      document: candidate.document,
      topics: candidate.topics,
      pageSize: settings.pageSize,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      fetch: settings.fetch,
      sessionTimeoutMs: settings.sessionTimeoutMs ?? 30_000,
      retryPolicy: context.retryPolicy,
      logger: settings.logger,
    };
    const stages = this.stagesFor(only, context, (_page, result) => this.count(result));
    await runPages((handle) => runBackfill(this.kafka, admin, backfillSettings, context.signal, handle), stages);
  }

  /** The stages of the sink path (src/operators/process-pages.ts) for `descriptors`. */
  private stagesFor(descriptors: readonly DocumentDescriptor[], context: StageContext, onSettled: (page: DecodedPage, result: PageResult) => void | Promise<void>): PageStages {
    const { settings } = this;
    const { pool, writer, retryPolicy, signal, inFlight } = context;
    const documentRetry = { retryPolicy, file: settings.file, logger: settings.logger, signal };
    // the change log keeps whole row images; without it only the columns expansion reads are decoded
    const columns = settings.changeLog === undefined ? this.columnsByTopic(descriptors) : undefined;
    const decoder = { pipeline: settings.pipeline, schemas: context.schemas, deadLetters: context.deadLetters, retryPolicy, logger: settings.logger, signal, columnsOf: (topic: string) => columns?.get(topic) };
    const visibility = this.visibility;
    return {
      decode: async (page) => {
        const decoded = await decodeChangePage(page, decoder);
        this.counters.undecodable += decoded.undecodable;
        return decoded;
      },
      ...(visibility === undefined
        ? {}
        : {
            visible: (page: DecodedPage) =>
              retry(() => visibility.waitForPage(page), {
                policy: retryPolicy,
                signal,
                what: 'waiting for the changes of a page to become visible in the database',
                where: `the sink of ${settings.file}`,
                onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, error: describeError(error) }, 'reading the database visibility failed; retrying'),
              }),
          }),
      expand: (page) =>
        expandPage(page, {
          ...documentRetry,
          descriptors,
          pool,
          buildBatchSize: settings.buildBatchSize,
          lookupReferences: (index, references) => documentsReferencing(this.elasticsearch, index, references, settings.buildBatchSize),
          beforeLookup: async () => {
            await inFlight.settled();
            await writer.flush();
          },
          roomForIds: () => inFlight.room(),
        }),
      build: (batch) => buildBatch(batch, { ...documentRetry, pool, versioning: context.versioning }),
      writer,
      buildBatchSize: settings.buildBatchSize,
      buildConcurrency: BUILD_CONCURRENCY,
      inFlight,
      onSettled,
    };
  }

  private async ensureTopics(topics: readonly string[]): Promise<void> {
    const { settings } = this;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [
        // every table a document reads has a primary key (compileDocument checks it)
        ...topics.map((topic) => ({ topic, partitions: settings.partitions, replicationFactor: settings.replicationFactor, config: changeTopicConfig(settings.changeTopics ?? DEFAULT_CHANGE_TOPIC_POLICY, true) })),
        { topic: deadLetterTopic(settings.topicPrefix), partitions: 1, replicationFactor: settings.replicationFactor },
        { topic: schemaTopic(settings.topicPrefix), partitions: 1, replicationFactor: settings.replicationFactor, compacted: true },
      ]);
    } finally {
      await admin.disconnect();
    }
  }

  /** The columns expansion reads from each change topic of the descriptors (two tables may share a topic name: both tables' columns). */
  private columnsByTopic(descriptors: readonly DocumentDescriptor[]): Map<string, Set<string>> {
    const byTopic = new Map<string, Set<string>>();
    for (const [table, columns] of columnsReadByExpansion(descriptors)) {
      const dot = table.indexOf('.');
      const topic = changeTopic(this.settings.topicPrefix, table.slice(0, dot), table.slice(dot + 1));
      byTopic.set(topic, new Set([...(byTopic.get(topic) ?? []), ...columns]));
    }
    return byTopic;
  }

  /** The change topics of every table the descriptors read. */
  private topicsOf(descriptors: readonly DocumentDescriptor[]): string[] {
    const topics = new Set<string>();
    for (const descriptor of descriptors) {
      for (const table of descriptor.tables) {
        const dot = table.indexOf('.');
        topics.add(changeTopic(this.settings.topicPrefix, table.slice(0, dot), table.slice(dot + 1)));
      }
    }
    return [...topics].sort();
  }

  private count(result: { changes: number; documents: number; deletes: number; superseded: number; rejected: number }): void {
    this.counters.pages += 1;
    this.counters.changes += result.changes;
    this.counters.documents += result.documents;
    this.counters.deletes += result.deletes;
    this.counters.superseded += result.superseded;
    this.counters.rejected += result.rejected;
  }
}

/** What the stages of a running sink share. */
interface StageContext {
  readonly pool: Pool;
  readonly writer: DocumentWriter;
  readonly deadLetters: DeadLetterWriter;
  readonly retryPolicy: RetryPolicy;
  readonly signal: AbortSignal;
  readonly schemas: SchemaTopic;
  readonly versioning: VersionClock;
  readonly inFlight: BatchesInFlight;
  readonly sweeper: SnapshotSweeper;
}

/**
 * Runs a consumer's pages through the sink path until the consumer stops: each page is settled
 * (committed, or failed and not committed) before its partition's next page is fetched. A failed
 * page fails the consumer's handler, which restarts the consumer from the committed offsets
 * (transient) or stops the sink (permanent).
 */
async function runPages(run: (handle: (page: CommittablePage) => Promise<void>) => Promise<void>, stages: PageStages): Promise<void> {
  const outcomes = pageStream(run).pipe(processPages<PendingPage>(stages));
  await lastValueFrom(outcomes.pipe(tap((outcome) => outcome.page.settle('error' in outcome ? outcome.error : undefined))), { defaultValue: undefined });
}
