import { Presets, SingleBar } from 'cli-progress';
import type { Logger } from 'pino';
import type { SyncProgress } from '../sinks/orchestrator/full-sync.js';

/** Shows a full sync's progress: a bar with rate and ETA on a terminal, a structured line every `intervalMs` otherwise. */
export interface ProgressReporter {
  readonly update: (progress: SyncProgress) => void;
  readonly stop: () => void;
}

/** A progress reporter for `stream` (a bar when it is a TTY). */
export function progressReporter(stream: NodeJS.WriteStream, logger: Logger, intervalMs = 5_000): ProgressReporter {
  let startedMs = Date.now();
  if (stream.isTTY === true) {
    let bar: SingleBar | undefined;
    return {
      update: (progress) => {
        if (bar === undefined) {
          bar = new SingleBar(
            { stream, format: '{document} [{bar}] {percentage}% | {value}/{total} roots | {rate}/s | ETA {eta_formatted} | written {written}, unchanged {unchanged}', etaBuffer: 50 },
            Presets.shades_classic,
          );
          bar.start(progress.total, 0, { document: progress.document, rate: '0', written: 0, unchanged: 0 });
          startedMs = Date.now();
        }
        const seconds = Math.max((Date.now() - startedMs) / 1000, 0.001);
        bar.setTotal(progress.total);
        bar.update(progress.done, { rate: Math.round(progress.done / seconds).toString(), written: progress.written, unchanged: progress.unchanged });
      },
      stop: () => bar?.stop(),
    };
  }
  let lastMs = 0;
  return {
    update: (progress) => {
      const now = Date.now();
      if (now - lastMs < intervalMs && progress.done < progress.total) return;
      lastMs = now;
      const seconds = Math.max((now - startedMs) / 1000, 0.001);
      logger.info({ ...progress, perSecond: Math.round(progress.done / seconds) }, 'sync progress');
    },
    stop: () => undefined,
  };
}
