import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { main } from '../../../src/cli/main.js';

describe('sluice validate', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-validate-'));
  let stdout: MockInstance<typeof process.stdout.write>;
  let stderr: MockInstance<typeof process.stderr.write>;
  const written = (spy: MockInstance<typeof process.stdout.write>) => spy.mock.calls.map(([chunk]) => String(chunk)).join('');

  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('prints the normalized config without passwords and exits 0 for a good file', async () => {
    const file = join(directory, 'good.yml');
    writeFileSync(
      file,
      'pipeline: shop\nsource:\n  mysql:\n    url: mysql://app:s3cret@db:3306\n    databases: [shop]\nkafka:\n  brokers: k:9092\n',
    );
    expect(await main(['node', 'sluice', 'validate', '-c', file])).toBe(0);
    const output = written(stdout);
    expect(output).toContain('url: mysql://app:***@db:3306');
    expect(output).toContain('topicPrefix: shop');
    expect(output).toContain('pageSize: 1000');
    expect(output).toContain('config OK');
    expect(output).not.toContain('s3cret');
  });

  it('exits 2 and prints the problem with its fix for a bad file', async () => {
    const file = join(directory, 'bad.yml');
    writeFileSync(file, 'pipeline: shop\nsorce: {}\n');
    expect(await main(['node', 'sluice', 'validate', '--config', file])).toBe(2);
    const errors = written(stderr);
    expect(errors).toContain(`${file}: sorce: unknown key (did you mean "source"?)`);
    expect(errors).toContain(`${file}: source: is required`);
    expect(errors).toContain('fix: ');
  });

  it('exits 2 for a missing file and for a missing --config', async () => {
    expect(await main(['node', 'sluice', 'validate', '-c', join(directory, 'none.yml')])).toBe(2);
    expect(written(stderr)).toContain('does not exist');
    expect(await main(['node', 'sluice', 'validate'])).toBe(2);
    expect(written(stderr)).toContain("required option '-c, --config <file>' not specified");
  });
});
