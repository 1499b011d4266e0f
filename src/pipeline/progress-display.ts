import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { Logger } from 'pino';

// cli-progress is loaded only when a bar is drawn (on a terminal): a process whose stderr is a file
// or a pipe never holds it.
const requireFromHere = createRequire(import.meta.url);

/** Shows how far long work is: a bar with rate and ETA on a terminal, a structured log line every `intervalMs` otherwise. */
export interface ProgressDisplay {
  /** `done` of `total` units, with fields for the bar's format and the log line. */
  readonly update: (done: number, total: number, fields: Readonly<Record<string, string | number>>) => void;
  /** Ends the bar (no-op for log lines). */
  readonly stop: () => void;
}

/** Options of {@link progressDisplay}. */
export interface ProgressDisplayOptions {
  /** cli-progress format; `{rate}` is filled in (units per second), the fields of update() too. */
  readonly format: string;
  /** The message of the periodic log line (e.g. 'snapshot progress'). */
  readonly message: string;
  readonly intervalMs?: number;
}

/**
 * A progress display on `stream`: a cli-progress bar when it is a terminal, else `logger.info`
 * lines (with done, total, perSecond and the fields) at most every `intervalMs` and at the end.
 */
export function progressDisplay(stream: NodeJS.WriteStream, logger: Logger, options: ProgressDisplayOptions): ProgressDisplay {
  const startedMs = Date.now();
  const perSecond = (done: number): number => Math.round(done / Math.max((Date.now() - startedMs) / 1000, 0.001));
  if (stream.isTTY === true) {
    let bar: CliProgress.SingleBar | undefined;
    return {
      update: (done, total, fields) => {
        if (bar === undefined) {
          const { Presets, SingleBar } = requireFromHere('cli-progress') as typeof CliProgress;
          bar = new SingleBar({ stream, format: options.format, etaBuffer: 50 }, Presets.shades_classic);
          bar.start(total, 0, { ...fields, rate: '0' });
        }
        bar.setTotal(total);
        bar.update(done, { ...fields, rate: perSecond(done).toString() });
      },
      stop: () => bar?.stop(),
    };
  }
  const intervalMs = options.intervalMs ?? 10_000;
  let lastMs = 0;
  return {
    update: (done, total, fields) => {
      const now = Date.now();
      if (now - lastMs < intervalMs && done < total) return;
      lastMs = now;
      logger.info({ ...fields, done, total, perSecond: perSecond(done) }, options.message);
    },
    stop: () => undefined,
  };
}
