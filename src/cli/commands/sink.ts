import type { Command } from 'commander';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { runUntilSignal } from '../run-until-signal.js';
import { httpPortOption } from '../http-port-option.js';

/** Options of `sluice sink` and `sluice run`. */
export interface SinkCommandOptions {
  readonly config: string;
  readonly httpPort?: number;
}

/**
 * Runs the sink of a pipeline file until `signal` aborts (see runDocuments); with `withCapture`,
 * the capture too, in the same process.
 */
export async function runSink(options: SinkCommandOptions, signal: AbortSignal, withCapture: boolean): Promise<void> {
  // loaded on use: `sluice source` and the short commands do not load the search-engine clients
  const { runDocuments } = await import('../../pipeline/run-documents.js');
  await runDocuments(loadPipelineConfig(options.config), options.config, signal, withCapture, options.httpPort === undefined ? {} : { httpPort: options.httpPort });
}

/** Adds `sluice sink -c <file>` and `sluice run -c <file>`. */
export function registerSinkCommands(program: Command): void {
  program
    .command('sink')
    .description('keep the Elasticsearch documents in step with the change topics until SIGINT/SIGTERM (several sink processes share the work)')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .addOption(httpPortOption())
    .exitOverride()
    .action((options: SinkCommandOptions) => runUntilSignal((signal) => runSink(options, signal, false)));
  program
    .command('run')
    .description('capture the database into Kafka and keep the Elasticsearch documents in step, in one process, until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .addOption(httpPortOption())
    .exitOverride()
    .action((options: SinkCommandOptions) => runUntilSignal((signal) => runSink(options, signal, true)));
}
