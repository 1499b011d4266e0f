import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { SLUICE_VERSION } from '../../../src/version.js';
import { PROJECT_ROOT } from '../../../stack/settings.js';

const run = promisify(execFile);

describe('sluice command', () => {
  it('prints its version and help as a process, exiting 0', async () => {
    const version = await run('node', ['--import', 'tsx', 'src/cli/main.ts', '--version'], { cwd: PROJECT_ROOT });
    expect(version.stdout.trim()).toBe(SLUICE_VERSION);
    const help = await run('node', ['--import', 'tsx', 'src/cli/main.ts', '--help'], { cwd: PROJECT_ROOT });
    expect(help.stdout).toContain('Usage: sluice');
    expect(help.stdout).toContain('SLUICE_KAFKA_BROKERS');
    // two node processes that compile the CLI with tsx: seconds each on a busy 2-core machine
  }, 60_000);

  it('exits 2 on an unknown option', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'sluice', '--no-such-option'])).toBe(2);
      expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join('')).toContain("unknown option '--no-such-option'");
    } finally {
      stderr.mockRestore();
    }
  });
});
