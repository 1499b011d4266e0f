import type { Command } from 'commander';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { formatPipelineStatus, readPipelineStatus } from '../../pipeline/pipeline-status.js';

/** Options of `sluice status`. */
export interface StatusCommandOptions {
  readonly config: string;
  readonly json?: boolean;
}

/** Adds `sluice status -c <file> [--json]`. */
export function registerStatusCommand(program: Command): Command {
  return program
    .command('status')
    .description('print the saved position, the consumer lag per group and partition, the dead letters and the indexes (read from Kafka and the search engine; no running process needed)')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--json', 'print the report as JSON')
    .exitOverride()
    .action(async (options: StatusCommandOptions) => {
      const report = await readPipelineStatus(loadPipelineConfig(options.config));
      process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatPipelineStatus(report));
    });
}
