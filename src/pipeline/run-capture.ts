import { logLevel } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { createLogger } from '../logging.js';
import { pipelineKafka } from './pipeline-kafka.js';
import type { SourceCapture } from './source-capture.js';
import { createSource } from './create-source.js';
import { Observability, type HttpOptions } from './observability.js';

/**
 * Runs the capture of a pipeline until `signal` aborts: checks the source first (problems are
 * ConfigurationErrors: exit code 2, nothing written), then snapshots and streams into Kafka. A
 * lost position (purged binlog) stops with the error that says to re-snapshot, or re-snapshots by
 * itself when the file says `binlogPurged: snapshot`.
 */
export async function runCapture(config: PipelineConfig, signal: AbortSignal, options: { readonly resnapshot?: boolean } & HttpOptions = {}): Promise<void> {
  const logger = createLogger('sluice.source', undefined, { pipeline: config.pipeline });
  const observability = await Observability.start(config, 'source', options, logger);
  try {
    const observer = observability?.observer;
    const source = createSource(config, logger, { resnapshot: options.resnapshot === true, ...(observer === undefined ? {} : { onProduced: (events, ms) => observer.produced(events, ms) }) });
    await source.source.preflight();
    const kafka = pipelineKafka(config, `sluice-source-${config.pipeline}`, { logLevel: logLevel.WARN, logger });
    let capture: SourceCapture<unknown> | undefined;
    const report = (message: string): void => logger.info({ ...capture?.stats }, message);
    const progress = setInterval(() => report('capture progress'), 10_000);
    try {
      await source.runCapture(kafka, signal, (started) => {
        capture = started;
        observer?.captureStarted(() => started.stats);
      });
      report('capture stopped');
    } finally {
      clearInterval(progress);
    }
  } finally {
    await observability?.close();
  }
}
