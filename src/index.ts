/**
 * The public API of sluice: what a program embedding sluice, or adding a source, may rely on.
 * Anything not exported here is internal and may change. The layers are described in
 * docs/architecture.md.
 */

// Errors: one base class, with `retriable`, `cause` and context; configuration errors carry the fix.
export { SluiceError, ConfigurationError, PermanentError, isProgrammerError, describeError } from './errors.js';
// Classification of any error (transient or permanent, which service) and the shared retry helper.
export { classifyError, isRetriableError } from './classify-error.js';
export type { ErrorKind, ErrorService, ErrorVerdict } from './classify-error.js';
export { retry, DEFAULT_RETRY_POLICY } from './retry.js';
export type { RetryPolicy, RetryOptions } from './retry.js';

// The pipeline file: loading (with ${VAR} interpolation), validation, every default applied.
export { loadPipelineConfig, parsePipelineConfig } from './config/load-pipeline-config.js';
export { pipelineConfigSchema, redactPipelineConfig, sourceKind, defaultServerId } from './config/pipeline-config.js';
export type { PipelineConfig, SourceConfig, SourceKind, TableName } from './config/pipeline-config.js';
export { endpointsFromEnvironment, LOCAL_STACK_ENDPOINTS } from './config/endpoints.js';
export type { ServiceEndpoints } from './config/endpoints.js';
export type { DocumentDefinition, RelationDefinition, RelationType, LinkDefinition, FieldSelection } from './config/document-definition.js';

// The neutral model every layer shares.
export type { ChangeEvent, ChangeSource, ChangeTransaction, ChangeOperation, Row, ColumnValue } from './model/change-event.js';
export type { ColumnDefinition } from './model/column.js';
export type { TableInfo, TableFilter } from './model/table.js';
export type { EncodedPosition } from './model/position.js';

// The source contract, and MySQL/MariaDB behind it.
export type {
  CdcSource,
  ChangeBatch,
  ChangeStreamOptions,
  FlowControl,
  SourceItem,
  SourceChange,
  SourceMark,
  SourceSnapshot,
  SnapshotPage,
  SnapshotChunk,
} from './sources/source.js';
export { MysqlSource, isTransientMysqlError } from './sources/mysql/mysql-source.js';
export type { MysqlSourceSettings } from './sources/mysql/mysql-source.js';
export type { BinlogPosition } from './sources/mysql/binlog-reader.js';

// The composition root: a pipeline file in, a running pipeline out.
export { createSource } from './pipeline/create-source.js';
export type { PipelineSource } from './pipeline/create-source.js';
export { runCapture } from './pipeline/run-capture.js';
export { runDocuments } from './pipeline/run-documents.js';
export { MysqlCapture, mysqlCapture } from './pipeline/mysql-capture.js';
export type { MysqlCaptureSettings, SavedCapturePosition } from './pipeline/mysql-capture.js';
export { DocumentPipeline } from './pipeline/document-pipeline.js';
export type { DocumentPipelineSettings, DocumentPipelineStats, AcknowledgedPage } from './pipeline/document-pipeline.js';
/** @deprecated Renamed: DocumentSink is DocumentPipeline (and its settings and stats types follow); the old names go in the next major version. */
export { DocumentPipeline as DocumentSink } from './pipeline/document-pipeline.js';
export type { DocumentPipelineSettings as DocumentSinkSettings, DocumentPipelineStats as SinkStats } from './pipeline/document-pipeline.js';

// The capture runner every source shares (Kafka writing, positions, backpressure, incremental snapshots).
export { SourceCapture } from './pipeline/source-capture.js';
export type { CaptureSettings, CaptureStats } from './pipeline/source-capture.js';
export { runCaptureUntilStopped } from './streams/capture-supervisor.js';

// Kafka: the topics a pipeline writes, their Avro events, replay and snapshot requests.
export { createKafka } from './streams/kafka-client.js';
export type { KafkaClientSettings } from './streams/kafka-client.js';
export { changeTopic, schemaTopic, positionTopic, signalTopic, deadLetterTopic } from './streams/topic-names.js';
export { decodeChangeEvent, encodeChangeEvent } from './streams/avro/change-event-codec.js';
export { requestSnapshot } from './streams/snapshot-signals.js';
export { planReplay, applyReplay, formatReplayPlan, parseReplayOffsets } from './streams/replay.js';
export type { ReplayTarget, ReplayPlanEntry, ReplayOffset, ReplayChange } from './streams/replay.js';
export { sinkGroupId } from './streams/consumer-groups.js';

// The writer contract (the bulk channel implements it) and the search engine port (Elasticsearch and OpenSearch).
export type { DocumentWriter, DocumentOperation, WriteOutcome, ReferenceLookup } from './sinks/writer.js';
export { connectEngine, detectEngine } from './sinks/engine/connect.js';
export { createEngine } from './sinks/engine/create-engine.js';
export type { EngineConnectionSettings } from './sinks/engine/connection-settings.js';
export type * from './sinks/engine/search-engine.js';
export { EngineError, EngineAccessError } from './sinks/engine/engine-error.js';

// Full sync: the dual-channel orchestrator (templates, aliases, reindex or multiplex, sweep) and its runner.
export { SyncSession, requireSyncModules } from './sinks/orchestrator/orchestrator.js';
export type { SyncHooks, SyncSettings, SyncReport } from './sinks/orchestrator/orchestrator.js';
export { runFullSync } from './sinks/orchestrator/full-sync.js';
export type { FullSyncSettings, SyncProgress } from './sinks/orchestrator/full-sync.js';
export { decideStrategy } from './sinks/orchestrator/strategy.js';
export type { SyncStrategy, SyncPlan, ChannelObservation } from './sinks/orchestrator/strategy.js';
export { channelHash, channelNames, channelTemplate } from './sinks/orchestrator/channel.js';
export type { ChannelSpec } from './sinks/orchestrator/channel.js';

export { createLogger } from './logging.js';
export type { Logger } from './logging.js';
export { SLUICE_VERSION } from './version.js';

// Index management: versioned indexes with migrations, partitioned indexes with retention (README "Index management").
export { ensureVersionedIndex, currentVersion, versionedNames } from './sinks/indexes/versioned-index.js';
export type { VersionedIndexSpec, EnsureOutcome } from './sinks/indexes/versioned-index.js';
export { migrateVersionedIndex } from './sinks/indexes/migrate-index.js';
export type { MigrateOptions, MigrationReport, MigrationProgress, MigrationPhase } from './sinks/indexes/migrate-index.js';
export type { MigrationStep, Migrations } from './sinks/indexes/migration-script.js';
export { PartitionedIndex, TooOldError } from './sinks/indexes/partitioned-index.js';
export type { PartitionedIndexSpec, PartitionedDocument, MaintenanceReport } from './sinks/indexes/partitioned-index.js';
export type { PartitionInterval } from './sinks/indexes/partitions.js';
export { IndexLock, LockHeldError, LockLostError } from './sinks/indexes/index-lock.js';
export type { LockOptions } from './sinks/indexes/index-lock.js';
export { versionedStatus, partitionedStatus } from './sinks/indexes/index-status.js';
export type { ManagedIndexStatus } from './sinks/indexes/index-status.js';
export { ChangeLog, changeLogName } from './sinks/indexes/change-log.js';
export type { ChangeLogEntry } from './sinks/indexes/change-log.js';
export { DeadLetterIndex, deadLetterIndexName } from './sinks/indexes/dead-letter-index.js';
export type { DeadLetter } from './sinks/dead-letters.js';
