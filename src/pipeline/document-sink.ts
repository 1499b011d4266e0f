import type { Kafka, KafkaMessage } from 'kafkajs';
import type { ConnectionOptions } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { DocumentDefinition } from '../config/document-definition.js';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import { loadDescriptors, openReadPool } from '../descriptors/read-pool.js';
import { readTableCatalog } from '../sources/mysql/table-catalog.js';
import { describeError, PermanentError, SluiceError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, retry, type RetryPolicy } from '../retry.js';
import type { TableFilter } from '../model/table.js';
import { decodeChangeEvent } from '../streams/avro/change-event-codec.js';
import { UndecodableMessageError } from '../streams/avro/undecodable-message-error.js';
import { sinkGroupId } from '../streams/consumer-groups.js';
import { changeTopicConfig, DEFAULT_CHANGE_TOPIC_POLICY, type ChangeTopicPolicy } from '../streams/change-topic-policy.js';
import { ensureTopics } from '../streams/ensure-topics.js';
import { PageConsumer } from '../streams/page-consumer.js';
import { SchemaTopic } from '../streams/schema-topic.js';
import { changeTopic, deadLetterTopic, schemaTopic } from '../streams/topic-names.js';
import { DeadLetterWriter, type TriggerReference } from '../sinks/dead-letters.js';
import { backfillGroupId, markBackfillsOfNewIndexes, pendingBackfills, runBackfill, type BackfillCandidate } from './document-backfill.js';
import type { SearchEngine } from '../sinks/engine/search-engine.js';
import { BulkChannel } from '../sinks/elasticsearch/bulk-channel.js';
import { ensureDocumentIndex } from '../sinks/elasticsearch/document-index.js';
import { documentsReferencing } from '../sinks/elasticsearch/reference-lookup.js';
import { ElasticsearchVersionEpochStore } from '../sinks/elasticsearch/version-epoch-store.js';
import { VersionClock } from '../descriptors/version-clock.js';
import { PageProcessor, type PageChange, type PageResult } from '../sinks/page-processor.js';
import type { ChangeEvent } from '../model/change-event.js';
import { LatencyRecorder, type LatencySummary } from '../sinks/latency-recorder.js';
import { ChannelRouter } from '../sinks/orchestrator/channel-router.js';
import { changedChannels, rebuildChannel } from '../sinks/orchestrator/mapping-change.js';
import { SnapshotSweeper } from '../sinks/orchestrator/missing-roots-sweep.js';

/** Builds of one page running at once (each holds a read connection while it queries). */
const BUILD_CONCURRENCY = 3;

/** How long a stopping sink lets in-flight writes finish before abandoning them. */
const STOP_GRACE_MS = 10_000;

/** Settings of a {@link DocumentSink}. */
export interface DocumentSinkSettings {
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
  readonly gcDeletes: string;
  readonly bulk: { readonly maxDocuments: number; readonly maxBytes: number; readonly maxAgeMs: number; readonly concurrency: number };
  readonly retryPolicy?: RetryPolicy;
  /** How change topics the sink creates keep messages (kafka.topics); default: compacted. */
  readonly changeTopics?: ChangeTopicPolicy;
  /** Kafka consumer session timeout (the group evicts a member silent for this long). */
  readonly sessionTimeoutMs?: number;
  /** Called after each page is settled in Elasticsearch and before its offsets are committed (metrics, benchmarks). */
  readonly onPageAcknowledged?: (page: AcknowledgedPage) => void;
  readonly logger: Logger;
}

/** What {@link DocumentSinkSettings.onPageAcknowledged} reports. */
export interface AcknowledgedPage {
  readonly topic: string;
  readonly partition: number;
  readonly changes: readonly ChangeEvent[];
  readonly result: PageResult;
  /** When the last document of the page was acknowledged (ms since epoch). */
  readonly atMs: number;
}

/** Counters of a running sink. */
export interface SinkStats {
  pages: number;
  changes: number;
  documents: number;
  deletes: number;
  superseded: number;
  rejected: number;
  undecodable: number;
  /** Commit (source ts_ms) to acknowledged in Elasticsearch, for streamed (non-snapshot) changes. */
  latency: LatencySummary;
}

/**
 * The sink: consumes the change topics of every table the documents read (consumer group
 * `<pipeline>.sink`, so several sink processes share the partitions), turns each page of changes
 * into document writes (see PageProcessor) and commits the page's offsets only after every write
 * of the page is acknowledged, superseded or dead-lettered. A crash re-processes at most the
 * uncommitted pages; documents are always rebuilt from the current database state and written
 * with their snapshot's version, so re-processing is harmless.
 */
export class DocumentSink {
  private readonly counters: Omit<SinkStats, 'latency'> = { pages: 0, changes: 0, documents: 0, deletes: 0, superseded: 0, rejected: 0, undecodable: 0 };
  private readonly latency = new LatencyRecorder(10_000);

  /** The counters so far, with latency percentiles computed when asked (not on every page). */
  get stats(): SinkStats {
    return { ...this.counters, latency: this.latency.summary() };
  }

  constructor(
    private readonly kafka: Kafka,
    private readonly elasticsearch: SearchEngine,
    private readonly settings: DocumentSinkSettings,
  ) {}

  /** Checks the documents against the database and runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { settings } = this;
    const logger = settings.logger;
    const retryPolicy = settings.retryPolicy ?? { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY };
    const pool = openReadPool(settings.connection, BUILD_CONCURRENCY * 2 + 2);
    const deadLetters = new DeadLetterWriter(this.kafka, deadLetterTopic(settings.topicPrefix), logger, retryPolicy);
    let channel: BulkChannel | undefined;
    let processor: PageProcessor | undefined;
    // a page waiting on an unreachable Elasticsearch would hold the stop forever: a grace period
    // after the stop its writes are abandoned (nothing is committed for that page, so nothing is lost)
    let grace: NodeJS.Timeout | undefined;
    const startGrace = (): void => {
      grace = setTimeout(() => channel?.abort(new SluiceError('the sink is stopping')), STOP_GRACE_MS);
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
      const descriptors = await startup('reading the database catalog', () =>
        loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), settings.documents, {
          file: settings.file,
          pipeline: settings.pipeline,
          defaultDatabase: settings.databases.length === 1 ? settings.databases[0] : undefined,
          isCaptured: settings.isCaptured,
          databases: settings.databases,
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
        logger.info({ document: descriptor.name, index: descriptor.index, result }, 'document index ready');
      }
      // a managed channel whose mapping changed is rebuilt in the background (src/sinks/orchestrator/mapping-change.ts)
      const changed = await startup('checking the channels for mapping changes', () => changedChannels(this.elasticsearch, descriptors, settings.gcDeletes, settings.file));
      const topics = this.topicsOf(descriptors);
      await startup('creating the topics', () => this.ensureTopics(topics));
      channel = new BulkChannel(this.elasticsearch, {
        ...settings.bulk,
        retryPolicy,
        logger,
        onRejected: async (operation, reason, httpStatus) => {
          const trigger = processor?.triggerOf(operation);
          await deadLetters.write({
            kind: 'rejected-document',
            pipeline: settings.pipeline,
            reason,
            httpStatus,
            index: operation.index,
            documentId: operation.id,
            ...(operation.kind === 'index' ? { document: operation.document } : {}),
            ...(trigger === undefined ? {} : { trigger }),
            atMs: Date.now(),
          });
        },
      });
      const bulkChannel = new ChannelRouter(channel);
      const versioning = new VersionClock(new ElasticsearchVersionEpochStore(this.elasticsearch, settings.pipeline), { logger });
      const processorFor = (only: readonly DocumentDescriptor[]): PageProcessor => new PageProcessor({
        descriptors: only,
        pool,
        channel: bulkChannel,
        lookupReferences: (index, references) => documentsReferencing(this.elasticsearch, index, references, settings.buildBatchSize),
        buildBatchSize: settings.buildBatchSize,
        buildConcurrency: BUILD_CONCURRENCY,
        retryPolicy,
        file: settings.file,
        logger,
        signal,
        versioning,
      });
      const pageProcessor = processorFor(descriptors);
      // rows deleted before a capture snapshot started leave no event: their documents are swept once per snapshot
      const sweeper = new SnapshotSweeper({
        engine: this.elasticsearch,
        pool,
        writer: bulkChannel,
        descriptors,
        versioning,
        retry: (what, operation) => retry(operation, { policy: retryPolicy, signal, what, onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, error: describeError(error) }, `${what} failed; retrying`) }),
        onSwept: (document, sweep) => logger.info({ document, ...sweep }, 'capture snapshot seen: documents of rows deleted before it swept'),
      });
      processor = pageProcessor;
      const schemas = new SchemaTopic(this.kafka, schemaTopic(settings.topicPrefix));
      const consumer = new PageConsumer(this.kafka, {
        groupId: sinkGroupId(settings.pipeline),
        topics,
        pageSize: settings.pageSize,
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        sessionTimeoutMs: settings.sessionTimeoutMs ?? 30_000,
        retryPolicy,
        logger,
      });
      logger.info({ group: sinkGroupId(settings.pipeline), topics: topics.length, documents: descriptors.map((descriptor) => descriptor.name) }, 'sink starting');
      const backfills = (await startup('checking for pending backfills', () => pendingBackfills(admin, settings.pipeline, candidates))).map((candidate) => {
        const backfillProcessor = processorFor(descriptors.filter((descriptor) => descriptor.name === candidate.document));
        const backfillSettings = { groupId: backfillGroupId(settings.pipeline, candidate.document), document: candidate.document, topics: candidate.topics, pageSize: settings.pageSize, partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently, sessionTimeoutMs: settings.sessionTimeoutMs ?? 30_000, retryPolicy, logger };
        return runBackfill(this.kafka, admin, backfillSettings, signal, async ({ topic, partition, messages }) => {
          this.count(await backfillProcessor.process(await this.decode(topic, partition, messages, schemas, deadLetters, retryPolicy, signal)));
        });
      });
      const main = consumer.run(signal, async ({ topic, partition, messages }) => {
        const changes = await this.decode(topic, partition, messages, schemas, deadLetters, retryPolicy, signal);
        const result = await pageProcessor.process(changes);
        await sweeper.afterPage(changes.map((change) => change.event));
        const atMs = Date.now();
        const events = changes.map((change) => change.event);
        this.latency.recordChanges(events, atMs);
        settings.onPageAcknowledged?.({ topic, partition, changes: events, result, atMs });
        this.count(result);
      });
      const rebuilds = changed.map((descriptor) =>
        rebuildChannel(this.elasticsearch, pool, { descriptor, gcDeletes: settings.gcDeletes, pageSize: Math.min(settings.buildBatchSize, 1000), router: bulkChannel, versioning, logger, signal }).catch((error: unknown) => {
          if (!signal.aborted) throw error;
        }),
      );
      await Promise.all([main, ...backfills, ...rebuilds]);
    } finally {
      await admin.disconnect().catch(() => undefined);
      if (grace === undefined) startGrace();
      await channel?.close().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'closing the bulk channel failed'));
      await deadLetters.close().catch(() => undefined);
      clearTimeout(grace);
      signal.removeEventListener('abort', startGrace);
      await pool.end().catch(() => undefined);
    }
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

  /**
   * Decodes a page. Only messages whose bytes can never be decoded (UndecodableMessageError) are
   * dead-lettered; a failing schema lookup is retried with backoff, and a failure that is not
   * retriable rejects the page (it is not committed).
   */
  private async decode(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    schemas: SchemaTopic,
    deadLetters: DeadLetterWriter,
    retryPolicy: RetryPolicy,
    signal: AbortSignal,
  ): Promise<PageChange[]> {
    const changes: PageChange[] = [];
    for (const message of messages) {
      const trigger: TriggerReference = { topic, partition, offset: message.offset, key: message.key?.toString() ?? null };
      const value = message.value;
      if (value === null) continue; // a tombstone carries no change
      const where = `${topic} partition ${partition} offset ${message.offset}`;
      try {
        const event = await retry(() => decodeChangeEvent(value, (id) => schemas.resolve(id)), {
          policy: retryPolicy,
          signal,
          what: `reading the writer schema of ${where}`,
          where,
          onRetry: (error, attempt, delayMs) => this.settings.logger.warn({ attempt, delayMs, where, error: describeError(error) }, 'decoding a change failed; retrying'),
        });
        changes.push({ event, trigger: { ...trigger, table: `${event.source.db}.${event.source.table}`, op: event.op } });
      } catch (error) {
        if (error instanceof PermanentError && error.where === undefined) throw new PermanentError(error.message, error.fix, { cause: error, where });
        if (!(error instanceof UndecodableMessageError)) throw error;
        this.counters.undecodable += 1;
        await deadLetters.write({
          kind: 'undecodable-message',
          pipeline: this.settings.pipeline,
          reason: describeError(error),
          trigger,
          value: value.toString('base64'),
          atMs: Date.now(),
        });
      }
    }
    return changes;
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
