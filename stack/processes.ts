import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The account a service process runs as (root's stack runs services as an unprivileged user). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A process started in the background, detached from the stack command. */
export interface DetachedProcess {
  readonly pid: number;
  /** The exit code once the process has exited (null while it runs). */
  exitCode(): number | null;
}

/**
 * Starts `command` detached from this process (it survives the stack command), with stdout and
 * stderr appended to `logFile`.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv; runAs?: RunAs },
): DetachedProcess {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ...(options.runAs === undefined ? {} : { HOME: options.runAs.home }) },
      detached: true,
      stdio: ['ignore', log, log],
      ...(options.runAs === undefined ? {} : { uid: options.runAs.uid, gid: options.runAs.gid }),
    });
    let code: number | null = null;
    child.on('exit', (exitCode, signal) => {
      code = exitCode ?? (signal === null ? 1 : 128);
    });
    child.on('error', () => {
      code = 127;
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return { pid: child.pid, exitCode: () => code };
  } finally {
    closeSync(log);
  }
}

/** Runs a command to completion and resolves with its exit code and combined output. */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; runAs?: RunAs; input?: string } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ...(options.runAs === undefined ? {} : { HOME: options.runAs.home }) },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.runAs === undefined ? {} : { uid: options.runAs.uid, gid: options.runAs.gid }),
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolvePromise({ code: 127, output: `${output}${error.message}` }));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The pid recorded in a pid file, or undefined when there is none. */
export function readPidFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Records a pid. */
export function writePidFile(pidFile: string, pid: number): void {
  writeFileSync(pidFile, `${pid}\n`);
}

/** Forgets a pid. */
export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/**
 * True when `pid` is alive and its command line contains `marker` (the stack directory), so a
 * recycled pid of an unrelated process is never mistaken for ours.
 */
export async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  try {
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    return commandLine.includes(marker) && !(await isZombie(pid));
  } catch {
    return false;
  }
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Sends SIGTERM, waits up to `graceMs` for the process to exit, then SIGKILLs it. */
export async function stopProcess(pid: number, marker: string, graceMs: number): Promise<'stopped' | 'killed' | 'absent'> {
  if (!(await isOurProcess(pid, marker))) return 'absent';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'absent';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isOurProcess(pid, marker))) return 'stopped';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (await isOurProcess(pid, marker)) await sleep(100);
  return 'killed';
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    const finish = (open: boolean): void => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailOfFile(path: string, lines = 15): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
