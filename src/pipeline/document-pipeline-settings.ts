import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import { mysqlConnectionOptions } from '../sources/mysql/connection-options.js';
import type { DocumentPipelineSettings } from './document-pipeline.js';
import type { EngineConnectionSettings } from '../sinks/engine/connection-settings.js';
import { engineConnection } from './engine-connection.js';
import { changeTopicPolicy, pipelineTableFilter } from './capture-settings.js';
import { positionTopic } from '../streams/topic-names.js';
import { createSource } from './create-source.js';
import { durationMs, type PipelineConfig } from '../config/pipeline-config.js';

/**
 * The settings of the document pipeline (the consume side: `sluice sink` and `sluice run`) for a
 * pipeline file. It needs `elasticsearch` and at least one document; without them it is a
 * ConfigurationError (exit code 2, nothing started).
 */
export function documentPipelineSettings(config: PipelineConfig, file: string, logger: Logger): DocumentPipelineSettings & { readonly engine: EngineConnectionSettings } {
  if (config.elasticsearch === undefined) {
    throw new ConfigurationError(`${file}: elasticsearch: is required to run a sink`, 'add elasticsearch: { node: http://127.0.0.1:9200 }', { context: { file, key: 'elasticsearch' } });
  }
  if (Object.keys(config.documents).length === 0) {
    throw new ConfigurationError(`${file}: documents: defines no document`, 'define at least one document under documents (see examples/sakila/pipeline.yml)', { context: { file, key: 'documents' } });
  }
  const sink = config.sink;
  return {
    pipeline: config.pipeline,
    file,
    topicPrefix: config.kafka.topicPrefix,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    connection: mysqlConnectionOptions(config.source.mysql.url),
    databases: config.source.mysql.databases,
    isCaptured: pipelineTableFilter(config),
    documents: config.documents,
    pageSize: sink.pageSize,
    buildBatchSize: sink.buildBatchSize,
    partitionsConsumedConcurrently: sink.partitionsConsumedConcurrently,
    fetch: sink.fetch,
    gcDeletes: sink.gcDeletes,
    bulk: sink.bulk,
    ...(sink.changeLog.enabled ? { changeLog: { maxAgeMs: durationMs(sink.changeLog.maxAge) } } : {}),
    ...(sink.deadLetters.index ? { deadLetterIndex: { maxAgeMs: durationMs(sink.deadLetters.maxAge) } } : {}),
    changeTopics: changeTopicPolicy(config),
    // the change log keeps every change event, the snapshot's included: it needs the snapshot streamed
    ...(sink.firstLoad && !sink.changeLog.enabled ? { firstLoad: { capture: { positionTopic: positionTopic(config.kafka.topicPrefix), sourceId: `${createSource(config, logger).source.connector}:${config.pipeline}` } } } : {}),
    logger,
    engine: engineConnection(config),
  };
}
