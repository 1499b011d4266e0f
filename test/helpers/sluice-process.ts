import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../stack/settings.js';
import type { Cleanup } from './services.js';

/** A `sluice` CLI process started by a test. */
export interface SluiceProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number) when the process ends. */
  readonly exited: Promise<number>;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

/** Runs `sluice <args>` from the TypeScript sources as a separate process; `cleanup` kills it. */
export function startSluice(args: readonly string[], cleanup: Cleanup, env: Record<string, string> = {}): SluiceProcess {
  const child = spawn('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143)));
  });
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, output: () => output };
}

/** Writes a pipeline file in a fresh temporary folder and returns its path. */
export function writePipelineFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-test-')), 'pipeline.yml');
  writeFileSync(file, yaml);
  return file;
}
