import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../stack/settings.js';

/** The libraries a process loads only for what it shows a person or serves: pretty log lines, progress bars, the HTTP endpoint's metrics. */
const ON_DEMAND = ['pino-pretty', 'cli-progress', 'prom-client'] as const;

/**
 * Which of {@link ON_DEMAND} a fresh process holds (from the CommonJS module cache, where they
 * land when imported) after loading the whole command tree, logging a line and showing progress
 * on stderr, a pipe here, as under a supervisor.
 */
function loadedOnDemandLibraries(env: Record<string, string>): string[] {
  const script = [
    "import { createRequire } from 'node:module';",
    "import { buildProgram } from './src/cli/main.ts';",
    "import { createLogger } from './src/logging.ts';",
    "import { progressDisplay } from './src/pipeline/progress-display.ts';",
    'buildProgram();',
    "const logger = createLogger('sluice.test');",
    "logger.info('a line');",
    "const display = progressDisplay(process.stderr, logger, { format: '{bar}', message: 'progress' });",
    'display.update(1, 2, {});',
    'display.stop();',
    'const loaded = Object.keys(createRequire(import.meta.url).cache);',
    `const names = ${JSON.stringify(ON_DEMAND)};`,
    "process.stdout.write(JSON.stringify(names.filter((name) => loaded.some((path) => path.includes('/node_modules/' + name + '/')))));",
  ].join('\n');
  const result = spawnSync('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the process failed (${String(result.status)}): ${result.stderr}`);
  expect(result.stderr).toContain('a line');
  return JSON.parse(result.stdout) as string[];
}

describe('libraries loaded on demand', () => {
  it('a process logging JSON, with no terminal and no HTTP endpoint, loads none of pino-pretty, cli-progress and prom-client', () => {
    expect(loadedOnDemandLibraries({ SLUICE_LOG_FORMAT: 'json', SLUICE_LOG_LEVEL: 'info' })).toEqual([]);
  });

  it('the pretty log format loads pino-pretty, and only it', () => {
    expect(loadedOnDemandLibraries({ SLUICE_LOG_FORMAT: 'pretty', SLUICE_LOG_LEVEL: 'info' })).toEqual(['pino-pretty']);
  });
});
