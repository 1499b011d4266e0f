import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { endpoints } from './services.js';
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

/**
 * The pipeline file of a test that streams changes of `database` (one partition per topic) to the
 * test Elasticsearch with `documents`, without a first load (the changes come streamed); its
 * pipeline name is the database's with dashes.
 */
export function streamingPipelineFile(database: string, documents: Record<string, unknown>): { file: string; pipeline: string } {
  const pipeline = database.replaceAll('_', '-');
  const file = writePipelineFile(
    stringify({
      pipeline,
      source: { mysql: { url: endpoints.mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
      kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 1, batch: { maxDelayMs: 20 } },
      elasticsearch: { node: endpoints.elasticsearchNode },
      sink: { firstLoad: false },
      documents,
    }),
  );
  return { file, pipeline };
}

/** The YAML of a pipeline capturing `databases` from the test MariaDB into the test Kafka. */
export function pipelineYaml(pipeline: string, databases: readonly string[], options: { url?: string; mysqlExtra?: string; kafkaExtra?: string } = {}): string {
  return [
    `pipeline: ${pipeline}`,
    'source:',
    '  mysql:',
    `    url: ${options.url ?? endpoints.mysqlUrl}`,
    `    databases: [${databases.join(', ')}]`,
    ...(options.mysqlExtra === undefined ? [] : options.mysqlExtra.split('\n').map((line) => `    ${line}`)),
    'kafka:',
    `  brokers: [${endpoints.kafkaBrokers.join(', ')}]`,
    ...(options.kafkaExtra === undefined ? [] : options.kafkaExtra.split('\n').map((line) => `  ${line}`)),
    '',
  ].join('\n');
}

/** Runs `sluice <args>` in this process through `main()` and returns its exit code and what it printed. */
export async function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'sluice', ...args]);
    const text = (spy: typeof stdout): string => spy.mock.calls.map(([chunk]) => String(chunk)).join('');
    return { code, stdout: text(stdout), stderr: text(stderr) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
