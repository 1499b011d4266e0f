import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { logFormat } from '../../src/logging.js';
import { buildProgram } from '../../src/cli/main.js';
import { PROJECT_ROOT } from '../../stack/settings.js';

/** What a logger of a fresh process writes on stderr. */
function logLines(env: Record<string, string>): string {
  const script = "import { createLogger } from './src/logging.ts'; createLogger('sluice.test', undefined, { pipeline: 'shop' }).error({ err: new Error('outer', { cause: new Error('inner') }) }, 'it broke');";
  const result = spawnSync('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return result.stderr;
}

describe('logging', () => {
  it('is JSON unless stderr is a terminal, and SLUICE_LOG_FORMAT decides when set', () => {
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ SLUICE_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ SLUICE_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('writes component, pipeline and err with its stack and cause chain', () => {
    const line = JSON.parse(logLines({ SLUICE_LOG_FORMAT: 'json', SLUICE_LOG_LEVEL: 'info' }).trim()) as Record<string, unknown> & { err: { message: string; stack: string; type: string; cause: { message: string; stack: string } } };
    expect(line).toMatchObject({ level: 50, component: 'sluice.test', name: 'sluice.test', pipeline: 'shop', msg: 'it broke' });
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toBe('outer');
    expect(line.err.stack).toContain('Error: outer\n    at ');
    expect(line.err.cause.message).toBe('inner');
    expect(line.err.cause.stack).toContain('Error: inner\n    at ');
  });

  it('writes human-readable lines in the pretty format', () => {
    const text = logLines({ SLUICE_LOG_FORMAT: 'pretty', SLUICE_LOG_LEVEL: 'info' });
    expect(text).toContain('it broke');
    expect(text).toContain('sluice.test');
    expect(() => JSON.parse(text.split('\n')[0] ?? '') as unknown).toThrow();
  });

  it('--log-level takes the pino levels, before or after the command', () => {
    const program = buildProgram();
    expect(program.options.find((option) => option.long === '--log-level')?.argChoices).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
  });
});
