import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../../src/pipeline/progress-display.js';
import { progressReporter } from '../../../src/pipeline/sync-progress.js';

function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** A stream that is not a terminal, as when sluice runs under a supervisor or in CI. */
function pipeStream(): NodeJS.WriteStream {
  return Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
}

/** A stream that says it is a terminal, collecting what the bar draws. */
function terminalStream(): { stream: NodeJS.WriteStream; drawn: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, drawn: () => chunks.join('') };
}

describe('progressDisplay', () => {
  it('logs a line at most every interval, and always the last one', () => {
    const { logger, lines } = capturingLogger();
    const display = progressDisplay(pipeStream(), logger, { format: '{bar}', message: 'work progress', intervalMs: 60_000 });
    display.update(1, 10, { table: 'film' });
    display.update(5, 10, { table: 'film' });
    display.update(10, 10, { table: 'film' });
    display.stop();
    expect(lines.map((line) => [line.msg, line.done, line.total, line.table])).toEqual([
      ['work progress', 1, 10, 'film'],
      ['work progress', 10, 10, 'film'],
    ]);
    expect(typeof lines[1]?.perSecond).toBe('number');
  });

  it('draws a bar with the fields on a terminal and logs nothing', () => {
    const { logger, lines } = capturingLogger();
    const { stream, drawn } = terminalStream();
    const display = progressDisplay(stream, logger, { format: '{table} {value}/{total} {rate}/s', message: 'work progress' });
    display.update(3, 8, { table: 'film' });
    display.stop();
    expect(drawn()).toContain('film 3/8');
    expect(lines).toEqual([]);
  });
});

describe('progressReporter (sync)', () => {
  it('logs the sync counts as structured lines when stderr is not a terminal', () => {
    const { logger, lines } = capturingLogger();
    const reporter = progressReporter(pipeStream(), logger, 60_000);
    reporter.update({ document: 'films', done: 2, total: 4, written: 1, unchanged: 1 });
    reporter.update({ document: 'films', done: 4, total: 4, written: 3, unchanged: 1 });
    reporter.stop();
    expect(lines.map(({ msg, document, done, total, written, unchanged }) => ({ msg, document, done, total, written, unchanged }))).toEqual([
      { msg: 'sync progress', document: 'films', done: 2, total: 4, written: 1, unchanged: 1 },
      { msg: 'sync progress', document: 'films', done: 4, total: 4, written: 3, unchanged: 1 },
    ]);
  });

  it('draws the bar with the written and unchanged counts on a terminal', () => {
    const { logger } = capturingLogger();
    const { stream, drawn } = terminalStream();
    const reporter = progressReporter(stream, logger);
    reporter.update({ document: 'films', done: 2, total: 4, written: 1, unchanged: 1 });
    reporter.stop();
    expect(drawn()).toContain('films');
    expect(drawn()).toContain('2/4 roots');
    expect(drawn()).toContain('written 1, unchanged 1');
  });
});
