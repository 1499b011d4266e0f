import type { Logger } from 'pino';
import type { SyncProgress } from '../sinks/orchestrator/full-sync.js';
import { progressDisplay } from './progress-display.js';

/** Shows a full sync's progress: a bar with rate and ETA on a terminal, a structured line every `intervalMs` otherwise. */
export interface ProgressReporter {
  readonly update: (progress: SyncProgress) => void;
  readonly stop: () => void;
}

const SYNC_BAR_FORMAT = '{document} [{bar}] {percentage}% | {value}/{total} roots | {rate}/s | ETA {eta_formatted} | written {written}, unchanged {unchanged}';

/** A progress reporter for `stream` (a bar when it is a TTY, else a 'sync progress' log line every `intervalMs`). */
export function progressReporter(stream: NodeJS.WriteStream, logger: Logger, intervalMs = 5_000): ProgressReporter {
  const display = progressDisplay(stream, logger, { format: SYNC_BAR_FORMAT, message: 'sync progress', intervalMs });
  return {
    update: ({ done, total, document, written, unchanged }) => display.update(done, total, { document, written, unchanged }),
    stop: () => display.stop(),
  };
}
