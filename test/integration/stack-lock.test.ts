import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireStackLock, readHolder, stackLockPath } from '../../stack/lock.js';
import { PROJECT_ROOT, stackDirectory } from '../../stack/settings.js';

const execFileAsync = promisify(execFile);

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts the stack command; resolves when it exits. `exited()` tells whether it has already. */
function startStack(args: string[], env: Record<string, string> = {}): { done: Promise<Finished>; exited: () => boolean; stderr: () => string } {
  const child = spawn('node', ['--import', 'tsx', 'stack/cli.ts', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code) => {
      exited = true;
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
  return { done, exited: () => exited, stderr: () => stderr };
}

/** The pids of processes whose command line names a service's folder of the shared stack. */
async function processesOf(service: string): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('pgrep', ['-f', '--', `${stackDirectory()}/${service}/`]);
    return stdout.trim().split('\n').sort();
  } catch {
    return [];
  }
}

/** The pid each service line of `up`/`status` output reports. */
function reportedPids(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^(\w+) +already running .*\(pid (\d+)\)$/gm)].map((match) => [match[1], match[2]]));
}

const temporary: string[] = [];
function temporaryStackDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stack-lock-'));
  temporary.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the stack lock', () => {
  it('lets one process at a time hold it: six concurrent read-increment-writes lose no update', async () => {
    const dir = temporaryStackDir();
    await Promise.all(
      Array.from({ length: 6 }, () => execFileAsync('node', ['--import', 'tsx', 'test/helpers/lock-worker.ts', dir], { cwd: PROJECT_ROOT })),
    );
    expect(readFileSync(join(dir, 'counter'), 'utf8')).toBe('6');
    const events = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').map((line) => line.split(' '));
    expect(events).toHaveLength(12);
    // start and end strictly alternate, each end by the process that started just before
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.[0]).toBe('start');
      expect(events[i + 1]?.[0]).toBe('end');
      expect(events[i + 1]?.[1]).toBe(events[i]?.[1]);
    }
  });

  it('breaks a lock left by a process that died', async () => {
    const dir = temporaryStackDir();
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('close', resolve));
    writeFileSync(stackLockPath(dir), JSON.stringify({ pid: dead.pid, command: 'up', since: '2026-01-01T00:00:00Z' }));
    const lock = await acquireStackLock(dir, { command: 'test', timeoutMs: 5_000 });
    expect(readHolder(lock.path)?.pid).toBe(process.pid);
    lock.release();
    expect(readHolder(lock.path)).toBeUndefined();
  });

  it('makes `stack up` and `stack down` wait while another command holds it', async () => {
    const dir = temporaryStackDir();
    for (const args of [['up', 'mariadb'], ['down', 'mariadb']]) {
      const lock = await acquireStackLock(dir, { command: 'test' });
      const command = startStack(args, { SLUICE_STACK_DIR: dir });
      const deadline = Date.now() + 30_000;
      while (!command.stderr().includes('waiting for another stack command') && !command.exited() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(command.stderr()).toContain(`waiting for another stack command (pid ${process.pid}, \`test\``);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(command.exited()).toBe(false);
      lock.release();
      const result = await command.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(args[0] === 'up' ? /^mariadb +reused/m : /^mariadb +not running/m);
    }
  });
});

describe('concurrent `stack up`', () => {
  it('two at once against the running stack both succeed and start nothing twice', async () => {
    const services = ['mariadb', 'kafka', 'elasticsearch', 'opensearch'];
    const before = await Promise.all(services.map(processesOf));
    for (const pids of before) expect(pids).toHaveLength(1);
    const results = await Promise.all([startStack(['up']).done, startStack(['up']).done]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      const pids = reportedPids(result.stdout);
      // every service of the shared stack is reused, with the process it had before
      services.forEach((service, index) => expect(pids[service]).toBe(before[index]?.[0]));
    }
    expect(await Promise.all(services.map(processesOf))).toEqual(before);
  });
});
