import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty is loaded only for human-readable lines: a process logging JSON (to a file, a pipe or
// a log collector) never holds it.
const requireFromHere = createRequire(import.meta.url);

/** The levels `--log-level` and SLUICE_LOG_LEVEL accept. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** How log lines look: JSON (one object per line) or human-readable (pino-pretty). */
export type LogFormat = 'json' | 'pretty';

/** Fields every line of a logger carries besides `component`. */
export interface LoggerOptions {
  /** The pipeline the process runs (the `pipeline` field). */
  readonly pipeline?: string;
}

/**
 * The log format: SLUICE_LOG_FORMAT (`json` or `pretty`) when set, otherwise human-readable lines
 * on a terminal and JSON when stderr is a file or a pipe (a log collector).
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTerminal: boolean = process.stderr.isTTY === true): LogFormat {
  const wanted = env.SLUICE_LOG_FORMAT?.trim().toLowerCase();
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return isTerminal ? 'pretty' : 'json';
}

/**
 * The process logger, on stderr: level from SLUICE_LOG_LEVEL (`--log-level` sets it; default
 * info), format from {@link logFormat}. Every line has `component` (the logger's name, also in
 * `name`) and `pipeline` when given; an error logged as `err` comes out with its type, message,
 * stack and cause chain.
 */
export function createLogger(name: string, level: string = process.env.SLUICE_LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const destination: DestinationStream =
    logFormat() === 'pretty' ? prettyDestination() : pino.destination(2);
  return pino(
    {
      name,
      level,
      base: { pid: process.pid, hostname: hostname(), component: name, ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }) },
      serializers: { err: stdSerializers.errWithCause },
    },
    destination,
  );
}

/** Human-readable lines on stderr, through pino-pretty (loaded here, on first use). */
function prettyDestination(): DestinationStream {
  const pretty = requireFromHere('pino-pretty') as typeof PinoPretty;
  return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
}

export type { Logger };
