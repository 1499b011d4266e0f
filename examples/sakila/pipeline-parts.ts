/**
 * The capture and the sink of a pipeline file as two parts that start and stop on their own, in
 * this process: what `sluice source -c` and `sluice sink -c` run. `npm run demo:mapping-change`
 * restarts the sink with an edited file while the capture keeps running.
 */
import { logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import { captureSettings, preflightExpectations } from '../../src/pipeline/capture-settings.js';
import { DocumentPipeline } from '../../src/pipeline/document-pipeline.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import { MysqlCapture } from '../../src/pipeline/mysql-capture.js';
import { connectEngine } from '../../src/sinks/engine/connect.js';
import { preflightMysqlSource } from '../../src/sources/mysql/preflight.js';
import { createKafka } from '../../src/streams/kafka-client.js';

/** A part running in the background. */
export interface RunningPart<T> {
  /** The capture or the sink (its `stats`). */
  readonly part: T;
  /** Rejects as soon as the part stops (with its error, or "stopped"); never resolves. */
  readonly stopped: Promise<never>;
  /** Aborts the part and waits until it has finished (offsets committed, position saved); rejects with its error. */
  stop(): Promise<void>;
}

/** Runs `run` until `stop`; `finish` runs after it (closing clients), whatever the outcome. */
function inBackground<T>(what: string, part: T, run: (signal: AbortSignal) => Promise<void>, finish: () => Promise<void>): RunningPart<T> {
  const controller = new AbortController();
  const finished = run(controller.signal).finally(finish);
  const stopped = finished.then(
    () => Promise.reject(new Error(`the ${what} stopped`)),
    (error: unknown) => Promise.reject(error instanceof Error ? error : new Error(String(error))),
  );
  stopped.catch(() => undefined); // observed by whoever waits on it; never an unhandled rejection
  return {
    part,
    stopped,
    stop: async () => {
      controller.abort();
      await finished;
    },
  };
}

/**
 * Starts the capture of `config` (the preflight checks of `sluice source`, then the snapshot or the
 * binlog from the saved position into Kafka). kafkajs' own log lines go to `kafkaLogger`.
 */
export async function startCapture(config: PipelineConfig, logger: Logger, kafkaLogger: Logger = logger): Promise<RunningPart<MysqlCapture>> {
  await preflightMysqlSource(config.source.mysql.url, preflightExpectations(config));
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `sluice-source-${config.pipeline}`, logLevel: logLevel.WARN, logger: kafkaLogger });
  const capture = new MysqlCapture(kafka, captureSettings(config, logger));
  return inBackground('capture', capture, (signal) => capture.run(signal), () => Promise.resolve());
}

/**
 * Starts the document sink of `config` read from `file` (as `sluice sink -c file`): it checks the
 * documents, finds channels whose mapping changed (and rebuilds them in the background) and
 * consumes the change topics as the group `<pipeline>.sink`.
 */
export async function startSink(config: PipelineConfig, file: string, logger: Logger, kafkaLogger: Logger = logger): Promise<RunningPart<DocumentPipeline>> {
  const settings = documentPipelineSettings(config, file, logger);
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `sluice-sink-${config.pipeline}`, logLevel: logLevel.WARN, logger: kafkaLogger });
  const engine = await connectEngine(settings.engine);
  const sink = new DocumentPipeline(kafka, engine, settings);
  return inBackground('sink', sink, (signal) => sink.run(signal), () => engine.close());
}
