import type { Command } from 'commander';
import { logLevel } from 'kafkajs';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { createLogger } from '../../logging.js';
import { createSource } from '../../pipeline/create-source.js';
import { createKafka } from '../../streams/kafka-client.js';
import type { SourceCapture } from '../../streams/source-capture.js';
import { runUntilSignal } from '../run-until-signal.js';

/** Options of `sluice source`. */
export interface SourceCommandOptions {
  readonly config: string;
  readonly resnapshot?: boolean;
}

/**
 * Runs the capture of a pipeline file until `signal` aborts: checks the database first (problems
 * are ConfigurationErrors: exit code 2, nothing written), then snapshots and streams into Kafka.
 * A purged binlog stops with the error that says to re-snapshot, or re-snapshots by itself when
 * the file says `binlogPurged: snapshot`.
 */
export async function runSource(options: SourceCommandOptions, signal: AbortSignal): Promise<void> {
  const config = loadPipelineConfig(options.config);
  const logger = createLogger('sluice.source');
  const source = createSource(config, logger, { resnapshot: options.resnapshot === true });
  await source.source.preflight();
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `sluice-source-${config.pipeline}`, logLevel: logLevel.WARN, logger });
  let capture: SourceCapture<unknown> | undefined;
  const report = (message: string): void => logger.info({ ...capture?.stats, lastSaved: capture?.stats.lastSaved }, message);
  const progress = setInterval(() => report('capture progress'), 10_000);
  try {
    await source.runCapture(kafka, signal, (started) => (capture = started));
    report('capture stopped');
  } finally {
    clearInterval(progress);
  }
}

/** Adds `sluice source -c <file> [--resnapshot]`. */
export function registerSourceCommand(program: Command): Command {
  return program
    .command('source')
    .description('capture the source database into Kafka (snapshot, then binlog) until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--resnapshot', 'ignore the saved position and take a new snapshot (for example after the binlog was purged)')
    .exitOverride()
    .action((options: SourceCommandOptions) => runUntilSignal((signal) => runSource(options, signal)));
}
