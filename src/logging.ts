import { pino, type Logger } from 'pino';

/**
 * The process logger: JSON lines on stderr, level from SLUICE_LOG_LEVEL (default info).
 * Components take a child logger named after themselves.
 */
export function createLogger(name: string, level: string = process.env.SLUICE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination(2));
}

export type { Logger };
