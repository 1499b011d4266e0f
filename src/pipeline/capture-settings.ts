import type { Logger } from 'pino';
import { snapshotProgressReporter } from './snapshot-progress-reporter.js';
import { mysqlConnectionOptions } from '../sources/mysql/connection-options.js';
import type { PreflightExpectations } from '../sources/mysql/preflight.js';
import type { TableFilter } from '../model/table.js';
import type { MysqlCaptureSettings } from './mysql-capture.js';
import type { ChangeTopicPolicy } from '../streams/change-topic-policy.js';
import { durationMs, selectTables, type PipelineConfig } from '../config/pipeline-config.js';

/** The table filter of a pipeline: its databases, include and exclude patterns. */
export function pipelineTableFilter(config: PipelineConfig): TableFilter {
  return (database, table) => selectTables(config, [{ database, table }]).length === 1;
}

/** What the preflight checks expect of the source database. */
export function preflightExpectations(config: PipelineConfig): PreflightExpectations {
  const mysql = config.source.mysql;
  return {
    databases: mysql.databases,
    explicitTables: (mysql.include ?? []).filter((pattern) => !pattern.includes('*')),
    filter: pipelineTableFilter(config),
  };
}

/** How the pipeline's change topics keep messages (`kafka.topics`). */
export function changeTopicPolicy(config: PipelineConfig): ChangeTopicPolicy {
  const topics = config.kafka.topics;
  return {
    cleanupPolicy: topics.cleanupPolicy,
    retentionMs: topics.retention === undefined ? undefined : durationMs(topics.retention),
    tombstoneRetentionMs: topics.tombstoneRetention === undefined ? undefined : durationMs(topics.tombstoneRetention),
    tombstones: topics.tombstones,
  };
}

/** The settings of the MySQL capture for a pipeline file. */
export function captureSettings(config: PipelineConfig, logger: Logger, overrides: { resnapshot?: boolean; onProduced?: MysqlCaptureSettings['onProduced'] } = {}): MysqlCaptureSettings {
  const mysql = config.source.mysql;
  return {
    pipeline: config.pipeline,
    topicPrefix: config.kafka.topicPrefix ?? config.pipeline,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    connection: mysqlConnectionOptions(mysql.url),
    url: mysql.url,
    preflight: preflightExpectations(config),
    serverId: mysql.serverId,
    databases: mysql.databases,
    filter: pipelineTableFilter(config),
    snapshot: { mode: mysql.snapshot.mode, pageSize: mysql.snapshot.pageSize, locking: mysql.snapshot.locking },
    batch: { maxMessages: config.kafka.batch.maxMessages, maxDelayMs: config.kafka.batch.maxDelayMs },
    maxRequestBytes: config.kafka.batch.maxBytes,
    positionIntervalMs: mysql.positionSaveIntervalMs,
    binlogHeartbeatMs: mysql.binlogHeartbeatMs,
    resnapshot: overrides.resnapshot === true,
    binlogPurged: mysql.binlogPurged,
    changeTopics: changeTopicPolicy(config),
    ...(overrides.onProduced === undefined ? {} : { onProduced: overrides.onProduced }),
    logger,
    onSnapshotProgress: snapshotProgressReporter(process.stderr, logger),
  };
}
