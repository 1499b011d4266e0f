import { logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { createLogger } from '../logging.js';
import type { PipelineObserver } from '../observability/pipeline-observer.js';
import { openEngine } from '../sinks/engine/open-engine.js';
import { DocumentPipeline, type DocumentPipelineSettings } from './document-pipeline.js';
import { documentPipelineSettings } from './document-pipeline-settings.js';
import { Observability, type HttpOptions } from './observability.js';
import { pipelineKafka } from './pipeline-kafka.js';
import type { SourceCapture } from './source-capture.js';

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
  // `sluice sink` never loads the source's modules (zongji and the binlog reader)
  const source = withCapture ? (await import('./create-source.js')).createSource(config, logger, observer === undefined ? {} : { onProduced: (events, ms) => observer.produced(events, ms) }) : undefined;
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
