import { logLevel } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { describeError } from '../errors.js';
import { createLogger } from '../logging.js';
import { connectEngine } from '../sinks/engine/connect.js';
import { pipelineGroups, readGroupLag, type GroupLag } from '../streams/consumer-lag.js';
import { sinkGroupId } from '../streams/consumer-groups.js';
import { PositionStore } from '../streams/position-store.js';
import { deadLetterTopic, positionTopic } from '../streams/topic-names.js';
import { createSource } from './create-source.js';
import { pipelineKafka } from './pipeline-kafka.js';
import { pipelineOutline } from './observability.js';
import { engineConnection } from './engine-connection.js';

/** One document family's index as the engine has it. */
export interface IndexStatus {
  readonly document: string;
  readonly index: string;
  readonly exists: boolean;
  /** Documents in the index (or its alias); null when it does not exist or could not be counted. */
  readonly documents: number | null;
  /** Why it could not be read. */
  readonly error?: string;
}

/** What `sluice status` prints: read from Kafka and the search engine, not from a running process. */
export interface PipelineStatusReport {
  readonly pipeline: string;
  readonly source: string;
  readonly topicPrefix: string;
  /** The capture's saved position (undefined: never saved, no snapshot done yet). */
  readonly position: (Readonly<Record<string, unknown>> & { readonly savedAtMs?: number; readonly snapshotCompleted?: boolean }) | undefined;
  readonly groups: readonly GroupLag[];
  readonly deadLetters: number | null;
  readonly indexes: readonly IndexStatus[];
}

/**
 * The pipeline's state as Kafka and the search engine keep it: the capture's saved position, the
 * sink's consumer groups with their lag per partition, the dead letters stored, and each
 * document's index with its document count. Needs no running sluice process.
 */
export async function readPipelineStatus(config: PipelineConfig): Promise<PipelineStatusReport> {
  const logger = createLogger('sluice.status', process.env.SLUICE_LOG_LEVEL ?? 'warn', { pipeline: config.pipeline });
  const kafka = pipelineKafka(config, `sluice-status-${config.pipeline}`, { logLevel: logLevel.NOTHING, logger });
  const outline = pipelineOutline(config, 'status');
  const sourceId = `${createSource(config, logger).source.connector}:${config.pipeline}`;
  const position = await new PositionStore<PipelineStatusReport['position']>(kafka, positionTopic(config.kafka.topicPrefix)).load(sourceId).catch(() => undefined);
  const admin = kafka.admin();
  await admin.connect();
  let groups: GroupLag[] = [];
  let deadLetters: number | null = null;
  try {
    const sinkGroup = sinkGroupId(config.pipeline);
    for (const group of new Set([sinkGroup, ...(await pipelineGroups(admin, sinkGroup))])) groups.push(await readGroupLag(admin, group, config.kafka.topicPrefix));
    groups = groups.filter((group) => group.partitions.length > 0 || group.members > 0);
    const topic = deadLetterTopic(config.kafka.topicPrefix);
    if ((await admin.listTopics()).includes(topic)) {
      deadLetters = (await admin.fetchTopicOffsets(topic)).reduce((sum, entry) => sum + Number(BigInt(entry.high) - BigInt(entry.low)), 0);
    }
  } finally {
    await admin.disconnect();
  }
  return { pipeline: config.pipeline, source: outline.source, topicPrefix: config.kafka.topicPrefix, position, groups, deadLetters, indexes: await readIndexes(config, outline.documents) };
}

async function readIndexes(config: PipelineConfig, documents: ReadonlyArray<{ readonly name: string; readonly index: string }>): Promise<IndexStatus[]> {
  if (config.elasticsearch === undefined || documents.length === 0) return [];
  let engine;
  try {
    engine = await connectEngine(engineConnection(config));
  } catch (error) {
    return documents.map((document) => ({ document: document.name, index: document.index, exists: false, documents: null, error: describeError(error) }));
  }
  try {
    const result: IndexStatus[] = [];
    for (const document of documents) {
      try {
        const exists = await engine.indexExists(document.index);
        result.push({ document: document.name, index: document.index, exists, documents: exists ? await engine.count(document.index) : null });
      } catch (error) {
        result.push({ document: document.name, index: document.index, exists: false, documents: null, error: describeError(error) });
      }
    }
    return result;
  } finally {
    await engine.close();
  }
}

/** The report as terminal text: position, groups with lag per partition, dead letters, indexes. */
export function formatPipelineStatus(report: PipelineStatusReport): string {
  const lines: string[] = [`pipeline ${report.pipeline}: ${report.source} -> Kafka topics ${report.topicPrefix}.*`, ''];
  const position = report.position;
  if (position === undefined) {
    lines.push('position: none saved (the capture has not completed a snapshot yet)');
  } else {
    const { savedAtMs, snapshotCompleted, version: _version, ...rest } = position;
    const text = typeof rest.gtidPosition === 'string' ? `gtid ${rest.gtidPosition}` : JSON.stringify(rest);
    lines.push(`position: ${text}${savedAtMs === undefined ? '' : `, saved ${new Date(savedAtMs).toISOString()}`}${snapshotCompleted === false ? ' (snapshot not completed)' : ''}`);
  }
  lines.push('');
  if (report.groups.length === 0) lines.push('consumer groups: none has committed yet');
  for (const group of report.groups) {
    const total = group.partitions.reduce((sum, entry) => sum + entry.lag, 0);
    lines.push(`group ${group.group} (${group.state}, ${group.members} member(s)): lag ${total}`);
    const rows = group.partitions.map((entry) => [entry.topic, String(entry.partition), entry.committed ?? '-', entry.end, String(entry.lag)]);
    lines.push(...columns([['  topic', 'partition', 'committed', 'end', 'lag'], ...rows.map(([topic, ...rest]) => [`  ${topic ?? ''}`, ...rest])]));
  }
  lines.push('', `dead letters: ${report.deadLetters ?? 'none (no dead-letter topic yet)'}`, '');
  if (report.indexes.length === 0) lines.push('indexes: none (no elasticsearch section or no documents)');
  else {
    lines.push(...columns([['document', 'index', 'documents'], ...report.indexes.map((entry) => [entry.document, entry.index, entry.error !== undefined ? `error: ${entry.error}` : entry.exists ? String(entry.documents) : 'missing'])]));
  }
  return `${lines.join('\n')}\n`;
}

/** Rows as left-aligned columns (numbers too: the terminal reader scans them by column). */
function columns(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd());
}
