/**
 * The public API of sluice. Everything a program embedding sluice may rely on is exported here by
 * name; anything not exported is internal and may change.
 */
export { SluiceError, ConfigurationError, isProgrammerError, describeError } from './errors.js';
export { retry, backoffDelay, isRetriable, abortableSleep, DEFAULT_RETRY_POLICY } from './retry.js';
export type { RetryPolicy, RetryOptions } from './retry.js';
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
export { createKafka } from './streams/kafka-client.js';
export type { KafkaClientSettings } from './streams/kafka-client.js';
export { createElasticsearchClient } from './sinks/elasticsearch/client.js';
export type { ElasticsearchClientSettings } from './sinks/elasticsearch/client.js';
export { readClusterCapabilities, missingModules, REQUIRED_MODULES } from './sinks/elasticsearch/capabilities.js';
export type { ClusterCapabilities } from './sinks/elasticsearch/capabilities.js';
export { retryWithBackoff } from './operators/retry-with-backoff.js';
export { createLogger } from './logging.js';
export type { Logger } from './logging.js';
export { SLUICE_VERSION } from './version.js';
