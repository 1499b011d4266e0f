import type { Command } from 'commander';
import { logLevel } from 'kafkajs';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { sinkSettings } from '../../pipeline/sink-settings.js';
import { createLogger } from '../../logging.js';
import { openEngine } from '../../sinks/engine/open-engine.js';
import { DocumentSink } from '../../sinks/document-sink.js';
import { createSource } from '../../pipeline/create-source.js';
import { createKafka } from '../../streams/kafka-client.js';
import type { SourceCapture } from '../../streams/source-capture.js';
import { runUntilSignal } from '../run-until-signal.js';

/** Options of `sluice sink` and `sluice run`. */
export interface SinkCommandOptions {
  readonly config: string;
}

/**
 * Runs the sink of a pipeline file until `signal` aborts: change topics -> documents ->
 * Elasticsearch, committing offsets page by page. With `withCapture`, the capture runs in the
 * same process (`sluice run`); if either stops with an error, both stop.
 */
export async function runSink(options: SinkCommandOptions, signal: AbortSignal, withCapture: boolean): Promise<void> {
  const config = loadPipelineConfig(options.config);
  const logger = createLogger(withCapture ? 'sluice.run' : 'sluice.sink');
  const settings = sinkSettings(config, options.config, logger);
  const source = withCapture ? createSource(config, logger) : undefined;
  await source?.source.preflight();
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `sluice-sink-${config.pipeline}`, logLevel: logLevel.WARN, logger });
  const elasticsearch = await openEngine(settings.engine, signal, logger);
  const sink = new DocumentSink(kafka, elasticsearch, settings);
  let capture: SourceCapture<unknown> | undefined;
  const stopAll = new AbortController();
  const stop = (): void => stopAll.abort();
  signal.addEventListener('abort', stop, { once: true });
  const progress = setInterval(() => logger.info({ sink: sink.stats, capture: capture?.stats.streamedRows }, 'progress'), 10_000);
  try {
    const captureRun = source === undefined ? [] : [source.runCapture(kafka, stopAll.signal, (started) => (capture = started))];
    const parts = [sink.run(stopAll.signal), ...captureRun].map((part) =>
      part.catch((error: unknown) => {
        stop();
        throw error;
      }),
    );
    await Promise.all(parts);
    logger.info({ sink: sink.stats }, 'sink stopped');
  } finally {
    clearInterval(progress);
    signal.removeEventListener('abort', stop);
    await elasticsearch.close();
  }
}

/** Adds `sluice sink -c <file>` and `sluice run -c <file>`. */
export function registerSinkCommands(program: Command): void {
  program
    .command('sink')
    .description('keep the Elasticsearch documents in step with the change topics until SIGINT/SIGTERM (several sink processes share the work)')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .exitOverride()
    .action((options: SinkCommandOptions) => runUntilSignal((signal) => runSink(options, signal, false)));
  program
    .command('run')
    .description('capture the database into Kafka and keep the Elasticsearch documents in step, in one process, until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .exitOverride()
    .action((options: SinkCommandOptions) => runUntilSignal((signal) => runSink(options, signal, true)));
}
