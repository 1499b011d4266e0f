import { logLevel } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { createLogger } from '../logging.js';
import { openEngine } from '../sinks/engine/open-engine.js';
import { pipelineKafka } from './pipeline-kafka.js';
import type { SourceCapture } from './source-capture.js';
import { createSource } from './create-source.js';
import { DocumentPipeline, type DocumentPipelineSettings } from './document-pipeline.js';
import { Observability, type HttpOptions } from './observability.js';
import type { PipelineObserver } from '../observability/pipeline-observer.js';
import type { Logger } from 'pino';
import { documentPipelineSettings } from './document-pipeline-settings.js';

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

/**
 * Runs the document side of a pipeline until `signal` aborts: change topics -> documents ->
 * the search engine, committing offsets page by page. With `withCapture`, the capture runs in the
 * same process (`sluice run`); if either stops with an error, both stop. `file` is the pipeline
 * file's path, for messages.
 */
export async function runDocuments(config: PipelineConfig, file: string, signal: AbortSignal, withCapture: boolean, options: HttpOptions = {}): Promise<void> {
  const logger = createLogger(withCapture ? 'sluice.run' : 'sluice.sink', undefined, { pipeline: config.pipeline });
  const observability = await Observability.start(config, withCapture ? 'run' : 'sink', options, logger);
  try {
    await runDocumentsObserved(config, file, signal, withCapture, logger, observability);
  } finally {
    await observability?.close();
  }
}

async function runDocumentsObserved(config: PipelineConfig, file: string, signal: AbortSignal, withCapture: boolean, logger: Logger, observability: Observability | undefined): Promise<void> {
  const observer = observability?.observer;
  const settings = { ...documentPipelineSettings(config, file, logger), ...sinkHooks(observer) };
  const source = withCapture ? createSource(config, logger, observer === undefined ? {} : { onProduced: (events, ms) => observer.produced(events, ms) }) : undefined;
  await source?.source.preflight();
  const kafka = pipelineKafka(config, `sluice-sink-${config.pipeline}`, { logLevel: logLevel.WARN, logger });
  const opened = await openEngine(settings.engine, signal, logger);
  const engine = observability?.instrumentEngine(opened) ?? opened;
  const sink = new DocumentPipeline(kafka, engine, settings);
  let capture: SourceCapture<unknown> | undefined;
  const stopAll = new AbortController();
  const stop = (): void => stopAll.abort();
  signal.addEventListener('abort', stop, { once: true });
  observability?.watchConsumerLag(kafka, config, stopAll.signal);
  const progress = setInterval(() => logger.info({ sink: sink.stats, capture: capture?.stats.streamedRows }, 'progress'), 10_000);
  try {
    const captureRun = source === undefined ? [] : [source.runCapture(kafka, stopAll.signal, (started) => {
      capture = started;
      observer?.captureStarted(() => started.stats);
    })];
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
    stop();
    signal.removeEventListener('abort', stop);
    await opened.close();
  }
}

/** The sink's hooks that feed the observer (none without one). */
function sinkHooks(observer: PipelineObserver | undefined): Pick<DocumentPipelineSettings, 'onPageAcknowledged' | 'onDeadLetter' | 'onFirstLoadWritten'> {
  if (observer === undefined) return {};
  return {
    onPageAcknowledged: (page) => observer.pageAcknowledged(page),
    onDeadLetter: (letter) => observer.deadLetter(letter),
    onFirstLoadWritten: (kind, status) => observer.firstLoadWritten(kind, status),
  };
}
