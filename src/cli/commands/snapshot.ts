import type { Command } from 'commander';
import { pipelineTableFilter } from '../../pipeline/capture-settings.js';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { ConfigurationError } from '../../errors.js';
import { splitTableKey } from '../../model/table.js';
import { pipelineKafka } from '../../pipeline/pipeline-kafka.js';
import { requestSnapshot } from '../../streams/snapshot-signals.js';

/** Options of `sluice snapshot`. */
export interface SnapshotCommandOptions {
  readonly config: string;
  readonly table: readonly string[];
}

/**
 * Asks the pipeline's source to snapshot tables again while it keeps streaming (an incremental
 * snapshot, chunk by chunk). The request waits in Kafka when the source is not running.
 */
export async function requestTableSnapshot(options: SnapshotCommandOptions): Promise<void> {
  const config = loadPipelineConfig(options.config);
  const filter = pipelineTableFilter(config);
  const invalid = options.table.filter((name) => {
    const parts = splitTableKey(name);
    return parts === undefined || !filter(parts.db, parts.table);
  });
  if (invalid.length > 0) {
    throw new ConfigurationError(`not a table this pipeline captures: ${invalid.join(', ')}`, 'name tables as db.table, among source.mysql.databases and include/exclude');
  }
  const kafka = pipelineKafka(config, `sluice-snapshot-${config.pipeline}`);
  await requestSnapshot(kafka, config.kafka.topicPrefix ?? config.pipeline, options.table, config.kafka.replicationFactor);
  process.stdout.write(`incremental snapshot requested for ${options.table.join(', ')}\n`);
}

/** Adds `sluice snapshot -c <file> --table db.table [--table ...]`. */
export function registerSnapshotCommand(program: Command): Command {
  return program
    .command('snapshot')
    .description('snapshot tables again while the source keeps streaming (incremental snapshot)')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .requiredOption('-t, --table <db.table...>', 'a table to snapshot again (repeatable)')
    .exitOverride()
    .action((options: SnapshotCommandOptions) => requestTableSnapshot(options));
}
