import type { Command } from 'commander';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { runUntilSignal } from '../run-until-signal.js';
import { httpPortOption } from '../http-port-option.js';

/** Options of `sluice source`. */
export interface SourceCommandOptions {
  readonly config: string;
  readonly resnapshot?: boolean;
  readonly httpPort?: number;
}

/** Runs the capture of a pipeline file until `signal` aborts (see runCapture). */
export async function runSource(options: SourceCommandOptions, signal: AbortSignal): Promise<void> {
  // loaded on use: `sluice sink` and the short commands do not load the binlog reader
  const { runCapture } = await import('../../pipeline/run-capture.js');
  await runCapture(loadPipelineConfig(options.config), signal, { resnapshot: options.resnapshot === true, ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }) });
}

/** Adds `sluice source -c <file> [--resnapshot]`. */
export function registerSourceCommand(program: Command): Command {
  return program
    .command('source')
    .description('capture the source database into Kafka (snapshot, then binlog) until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--resnapshot', 'ignore the saved position and take a new snapshot (for example after the binlog was purged)')
    .addOption(httpPortOption())
    .exitOverride()
    .action((options: SourceCommandOptions) => runUntilSignal((signal) => runSource(options, signal)));
}
