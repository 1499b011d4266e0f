import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../../../bin/sluice-node', import.meta.url));
const command = fileURLToPath(new URL('../../../bin/sluice', import.meta.url));

/** The heap limit (MiB: the old space plus the young generation, 3 semi-spaces) of a Node.js started by bin/sluice-node with `env` and `flags`, its script given `commandArguments`. */
function oldSpaceLimitMiB(env: Record<string, string>, flags: string[] = [], commandArguments: string[] = []): number {
  const { NODE_OPTIONS: _ignored, SLUICE_MAX_OLD_SPACE_MIB: _alsoIgnored, SLUICE_MAX_SEMI_SPACE_MIB: _ignoredToo, ...inherited } = process.env;
  const script = "const v8 = require('node:v8'); process.stdout.write(String(v8.getHeapStatistics().heap_size_limit))";
  const limit = Number(execFileSync(launcher, [...flags, '-e', script, ...commandArguments], { env: { ...inherited, ...env }, encoding: 'utf8' }));
  return limit / 1024 / 1024;
}

describe('bin/sluice-node, the Node.js that runs the sluice command', () => {
  // heap_size_limit is the old space plus the young generation (a few tens of MiB)
  const near = (limit: number, oldSpace: number): void => {
    expect(limit).toBeGreaterThanOrEqual(oldSpace);
    expect(limit).toBeLessThan(oldSpace + 100);
  };

  it('caps the old space at 1 GiB by default', () => {
    near(oldSpaceLimitMiB({}), 1024);
  });

  it('takes the cap from SLUICE_MAX_OLD_SPACE_MIB', () => {
    near(oldSpaceLimitMiB({ SLUICE_MAX_OLD_SPACE_MIB: '300' }), 300);
  });

  it('leaves a --max-old-space-size of NODE_OPTIONS or of its own flags alone', () => {
    near(oldSpaceLimitMiB({ NODE_OPTIONS: '--max-old-space-size=2000' }), 2000);
    near(oldSpaceLimitMiB({ SLUICE_MAX_OLD_SPACE_MIB: '300' }, ['--max-old-space-size=700']), 700);
  });

  it('sets 8 MiB semi-spaces by default (a 24 MiB young generation), from SLUICE_MAX_SEMI_SPACE_MIB, unless a flag sets them', () => {
    const youngGeneration = (env: Record<string, string>, flags: string[] = []): number => oldSpaceLimitMiB({ SLUICE_MAX_OLD_SPACE_MIB: '500', ...env }, flags) - 500;
    expect(youngGeneration({})).toBe(24);
    expect(youngGeneration({ SLUICE_MAX_SEMI_SPACE_MIB: '4' })).toBe(12);
    expect(youngGeneration({ NODE_OPTIONS: '--max-semi-space-size=16' })).toBe(48);
    expect(youngGeneration({ SLUICE_MAX_SEMI_SPACE_MIB: '4' }, ['--max-semi-space-size=2'])).toBe(6);
  });

  it('sets 2 MiB semi-spaces for `sluice source` (the argument after the script) unless SLUICE_MAX_SEMI_SPACE_MIB or a flag sets them', () => {
    const youngGeneration = (env: Record<string, string>, flags: string[], commandArguments: string[]): number =>
      oldSpaceLimitMiB({ SLUICE_MAX_OLD_SPACE_MIB: '500', ...env }, flags, commandArguments) - 500;
    expect(youngGeneration({}, [], ['source', '-c', 'pipeline.yml'])).toBe(6);
    expect(youngGeneration({}, ['--no-warnings'], ['source'])).toBe(6);
    for (const command of ['sink', 'run', 'sync', 'sources']) expect(youngGeneration({}, [], [command, 'source']), command).toBe(24);
    expect(youngGeneration({ SLUICE_MAX_SEMI_SPACE_MIB: '4' }, [], ['source'])).toBe(12);
    expect(youngGeneration({}, ['--max-semi-space-size=1'], ['source'])).toBe(3);
  });

  it('passes --heap-growing-percent only when SLUICE_HEAP_GROWING_PERCENT is set, unless a flag sets it', () => {
    const { SLUICE_HEAP_GROWING_PERCENT: _ignored, ...inherited } = process.env;
    const growing = (env: Record<string, string>, flags: string[] = []): string[] =>
      (JSON.parse(execFileSync(launcher, [...flags, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { env: { ...inherited, ...env }, encoding: 'utf8' })) as string[]).filter((flag) =>
        flag.startsWith('--heap-growing-percent'),
      );
    expect(growing({})).toEqual([]);
    expect(growing({ SLUICE_HEAP_GROWING_PERCENT: '30' })).toEqual(['--heap-growing-percent=30']);
    expect(growing({ SLUICE_HEAP_GROWING_PERCENT: '30' }, ['--heap-growing-percent=50'])).toEqual(['--heap-growing-percent=50']);
    expect(growing({ SLUICE_HEAP_GROWING_PERCENT: '' })).toEqual([]);
  });

  it('refuses, with exit code 2 and the variable, a memory setting that is not a whole number above 0, before Node.js starts; empty is unset', () => {
    const { SLUICE_MAX_OLD_SPACE_MIB: _ignored, SLUICE_MAX_SEMI_SPACE_MIB: _alsoIgnored, SLUICE_HEAP_GROWING_PERCENT: _ignoredToo, ...inherited } = process.env;
    const launch = (variable: string, value: string): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(launcher, ['-e', 'process.stdout.write("started")'], { env: { ...inherited, [variable]: value }, encoding: 'utf8' });
    for (const variable of ['SLUICE_MAX_OLD_SPACE_MIB', 'SLUICE_MAX_SEMI_SPACE_MIB', 'SLUICE_HEAP_GROWING_PERCENT']) {
      for (const value of ['30%', '1g', '-4', '0', '00', '2 4']) {
        const refused = launch(variable, value);
        expect(refused.status, `${variable}=${value}`).toBe(2);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toContain(`bin/sluice-node: ${variable}=${value} is not a whole number above 0; set it to `);
      }
      expect(launch(variable, '').stdout).toBe('started');
      expect(launch(variable, '16').stdout).toBe('started');
    }
  });

  it("fixes glibc malloc's mmap and trim thresholds at 128 KiB unless the environment sets them", () => {
    const { MALLOC_MMAP_THRESHOLD_: _ignored, MALLOC_TRIM_THRESHOLD_: _alsoIgnored, ...inherited } = process.env;
    const thresholds = (env: Record<string, string>): string =>
      execFileSync(launcher, ['-e', 'process.stdout.write(`${process.env.MALLOC_MMAP_THRESHOLD_} ${process.env.MALLOC_TRIM_THRESHOLD_}`)'], { env: { ...inherited, ...env }, encoding: 'utf8' });
    expect(thresholds({})).toBe('131072 131072');
    expect(thresholds({ MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '1048576' })).toBe('65536 1048576');
  });

  it('runs the compiled command through it (bin/sluice, built by npm ci)', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(execFileSync(command, ['--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });
});
