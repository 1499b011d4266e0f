import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { sourceKind, type PipelineConfig } from '../config/pipeline-config.js';
import { isTransientMysqlError, MysqlSource } from '../sources/mysql/mysql-source.js';
import type { CdcSource } from '../sources/source.js';
import { runCaptureUntilStopped } from '../streams/capture-supervisor.js';
import type { CaptureSettings, SourceCapture } from './source-capture.js';
import { captureSettings } from './capture-settings.js';
import { mysqlCapture } from './mysql-capture.js';

/** A pipeline's source behind the source contract, and the runner that captures it into Kafka. */
export interface PipelineSource {
  readonly source: CdcSource<unknown>;
  /**
   * Runs the capture until `signal` aborts, started again from the saved position after a
   * transient Kafka or source condition. `onStart` sees each capture.
   */
  runCapture(kafka: Kafka, signal: AbortSignal, onStart?: (capture: SourceCapture<unknown>) => void): Promise<void>;
}

/**
 * The one factory of sources: the pipeline file's `source` (a union keyed by kind) in, the source
 * and its capture out. Adding a kind of source adds one case here.
 */
export function createSource(config: PipelineConfig, logger: Logger, options: { readonly resnapshot?: boolean; readonly onProduced?: CaptureSettings['onProduced'] } = {}): PipelineSource {
  const kind = sourceKind(config.source);
  switch (kind) {
    case 'mysql': {
      const settings = captureSettings(config, logger, options);
      return {
        source: new MysqlSource(settings),
        runCapture: (kafka, signal, onStart) =>
          runCaptureUntilStopped(mysqlCapture(kafka), isTransientMysqlError, settings, signal, onStart),
      };
    }
  }
}
