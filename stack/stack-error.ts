import { SluiceError } from '../src/errors.js';

/**
 * A local-stack failure, always naming the service, its log file and the likely fix, so the
 * message alone tells the user what to do.
 */
export class StackError extends SluiceError {
  readonly service: string;
  readonly logFile: string | undefined;
  readonly fix: string;

  constructor(service: string, problem: string, fix: string, options: { logFile?: string; cause?: unknown; logTail?: string } = {}) {
    const lines = [`${service}: ${problem}`];
    if (options.logFile !== undefined) lines.push(`  log: ${options.logFile}`);
    lines.push(`  fix: ${fix}`);
    if (options.logTail !== undefined && options.logTail.trim() !== '') {
      lines.push('  last lines of the log:', ...options.logTail.trimEnd().split('\n').map((line) => `    ${line}`));
    }
    super(lines.join('\n'), { cause: options.cause, context: { service, logFile: options.logFile } });
    this.service = service;
    this.logFile = options.logFile;
    this.fix = fix;
  }
}
