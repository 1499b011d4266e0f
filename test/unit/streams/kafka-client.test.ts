import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoLogCreator } from '../../../src/streams/kafka-client.js';

describe('pinoLogCreator', () => {
  it('writes kafkajs log lines to the pino logger, errors as warnings and info as debug', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const log = pinoLogCreator(logger)(logLevel.DEBUG);
    const entry = (message: string): { message: string; broker: string; timestamp: string } => ({ message, broker: '127.0.0.1:19092', timestamp: 'now' });
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: entry('The coordinator is loading') });
    log({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: entry('Starting') });
    log({ namespace: 'Connection', level: logLevel.DEBUG, label: 'DEBUG', log: entry('Request') });
    expect(lines.map((line) => [line.level, line.msg, line.component, line.broker])).toEqual([
      [40, 'The coordinator is loading', 'kafkajs', '127.0.0.1:19092'],
      [20, 'Starting', 'kafkajs', '127.0.0.1:19092'],
    ]);
  });
});
