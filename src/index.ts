/**
 * The public API of sluice. Everything a program embedding sluice may rely on is exported here by
 * name; anything not exported is internal and may change.
 */
export { SluiceError, ConfigurationError, PermanentError, isProgrammerError, describeError } from './errors.js';
export { classifyError, isRetriableError } from './classify-error.js';
export type { ErrorKind, ErrorService, ErrorVerdict } from './classify-error.js';
export { retry, nextRetry, backoffDelay, isRetriable, abortableSleep, DEFAULT_RETRY_POLICY } from './retry.js';
export type { RetryPolicy, RetryOptions, RetryDecision } from './retry.js';
export {
  endpointsFromEnvironment,
  parseBrokerList,
  ENDPOINT_VARIABLES,
  LOCAL_STACK_ENDPOINTS,
  LOCAL_STACK_PORTS,
} from './config/endpoints.js';
export type { ServiceEndpoints } from './config/endpoints.js';
export {
  pipelineConfigSchema,
  defaultServerId,
  tableMatches,
  selectTables,
  redactPipelineConfig,
  formatKeyPath,
  PIPELINE_NAME_PATTERN,
  TABLE_PATTERN,
} from './config/pipeline-config.js';
export type { PipelineConfig, TableName } from './config/pipeline-config.js';
export { interpolateEnvironment } from './config/environment-interpolation.js';
export { loadPipelineConfig, parsePipelineConfig } from './config/load-pipeline-config.js';
export { mysqlConnectionOptions, redactUrl } from './sources/mysql/connection-options.js';
export { findBinlogProblems, readBinlogVariables, isMariaDb, BINLOG_VARIABLES } from './sources/mysql/binlog-requirements.js';
export type { BinlogProblem } from './sources/mysql/binlog-requirements.js';
export { createKafka, pinoLogCreator } from './streams/kafka-client.js';
export type { KafkaClientSettings } from './streams/kafka-client.js';
export { connectEngine, createEngine, detectEngine } from './sinks/engine/connect.js';
export type { EngineConnectionSettings } from './sinks/engine/connection-settings.js';
export type * from './sinks/engine/search-engine.js';
export { EngineError, EngineAccessError } from './sinks/engine/engine-error.js';
export { missingModules, REQUIRED_MODULES } from './sinks/engine/capabilities.js';
export { retryWithBackoff } from './operators/retry-with-backoff.js';
export { createLogger } from './logging.js';
export type { Logger } from './logging.js';
export { SLUICE_VERSION } from './version.js';
export type { ChangeEvent, ChangeSource, ChangeTransaction, ChangeOperation, Row, ColumnValue } from './model/change-event.js';
export { parseColumnType } from './sources/mysql/column-definition.js';
export type { ColumnDefinition } from './model/column.js';
export { preflightMysqlSource, missingReplicationPrivileges } from './sources/mysql/preflight.js';
export { decodeChangeEvent, encodeChangeEvent, writerSchema, parseSchema } from './streams/avro/change-event-codec.js';
export type { WriterSchema } from './streams/avro/change-event-codec.js';
export { frame, unframe, schemaId } from './streams/avro/framing.js';
export { SchemaTopic } from './streams/schema-topic.js';
export { PositionStore } from './streams/position-store.js';
export { changeTopic, schemaTopic, positionTopic, signalTopic } from './streams/topic-names.js';
export { ChangeWriter, changeKey } from './streams/change-writer.js';
export type { OutgoingChange, ChangeWriterSettings } from './streams/change-writer.js';
export { MysqlCapture } from './pipeline/mysql-capture.js';
export type { MysqlCaptureSettings, SavedCapturePosition } from './pipeline/mysql-capture.js';
export type { CaptureStats } from './streams/source-capture.js';
export { requestSnapshot, SnapshotSignalListener } from './streams/snapshot-signals.js';
export type { SnapshotSignal } from './streams/snapshot-signals.js';
export { planReplay, applyReplay, formatReplayPlan, parseReplayOffsets } from './streams/replay.js';
export type { ReplayTarget, ReplayPlanEntry, ReplayOffset, ReplayChange } from './streams/replay.js';
export { sinkGroupId } from './streams/consumer-groups.js';
export { captureSettings, pipelineTableFilter } from './pipeline/capture-settings.js';
export { documentsSchema, documentDefinitionSchema } from './config/documents-schema.js';
export { sinkSettings } from './pipeline/sink-settings.js';
export type { DocumentDefinition, RelationDefinition, RelationType, LinkDefinition, FieldSelection } from './config/document-definition.js';
export type { DocumentDescriptor, DescriptorNode, DescriptorJoin, DescriptorLink, DescriptorField } from './descriptors/document-descriptor.js';
export { compileDocument, compileDocuments } from './descriptors/compile-document.js';
export type { CompileContext } from './descriptors/compile-document.js';
export { loadDescriptors, openReadPool } from './descriptors/read-pool.js';
export { buildDocuments, rowReference } from './descriptors/build-documents.js';
export type { BuiltDocument, BuiltPage, DocumentMetadata } from './descriptors/build-documents.js';
export { rootIdsOfChange, referencesToLookUp, concernsDescriptor } from './descriptors/expand-change.js';
export type { RowChange, ExpansionContext } from './descriptors/expand-change.js';
export { documentValue } from './descriptors/document-values.js';
export { beginVersionedSnapshot, versionOf } from './descriptors/snapshot-version.js';
export type { SnapshotVersion, SnapshotVersioning } from './descriptors/snapshot-version.js';
export { VersionClock, VersionEpochChangedError, versionInEpoch, parseCoordinate } from './descriptors/version-clock.js';
export type { VersionEpoch, VersionEpochStore, StoredEpoch, VersionTicket, BinlogCoordinate } from './descriptors/version-clock.js';
export { ElasticsearchVersionEpochStore, VERSION_EPOCH_INDEX } from './sinks/elasticsearch/version-epoch-store.js';
export { backfillGroupId } from './pipeline/document-backfill.js';
export { changeTopicConfig, checkChangeTopics, DEFAULT_CHANGE_TOPIC_POLICY } from './streams/change-topic-policy.js';
export type { ChangeTopicPolicy } from './streams/change-topic-policy.js';
export { changeTopicPolicy } from './pipeline/capture-settings.js';
export { currentGtidPosition, startSnapshotAtGtidPosition } from './sources/mysql/snapshot-position.js';
export type { SnapshotLocking } from './sources/mysql/snapshot-position.js';
export { DocumentSink } from './pipeline/document-sink.js';
export type { DocumentSinkSettings, SinkStats, AcknowledgedPage } from './pipeline/document-sink.js';
export { PageProcessor } from './sinks/page-processor.js';
export type { PageChange, PageResult, PageProcessorSettings } from './sinks/page-processor.js';
export { DeadLetterWriter } from './sinks/dead-letters.js';
export type { DeadLetter, TriggerReference } from './sinks/dead-letters.js';
export { LatencyRecorder } from './sinks/latency-recorder.js';
export type { LatencySummary } from './sinks/latency-recorder.js';
export { BulkChannel } from './sinks/elasticsearch/bulk-channel.js';
export type { BulkOperation, BulkOutcome, BulkChannelSettings, BulkChannelOptions, BulkChannelStats } from './sinks/elasticsearch/bulk-channel.js';
export { ensureDocumentIndex, SLUICE_FIELD_MAPPING } from './sinks/elasticsearch/document-index.js';
export type { DocumentIndexSpec } from './sinks/elasticsearch/document-index.js';
export { documentsReferencing } from './sinks/elasticsearch/reference-lookup.js';
export { deadLetterTopic } from './streams/topic-names.js';
