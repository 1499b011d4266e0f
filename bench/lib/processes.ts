/**
 * sluice processes started by the benchmark (the compiled command, as users run it), and what Linux says about any process: peak and current resident memory, CPU time.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, servicePaths, stackDirectory } from '../../stack/settings.js';
import { BenchProcess } from './bench-process.js';

/** Memory of a process from /proc/<pid>/status, in bytes. */
export interface ProcessMemory {
  /** VmHWM: the peak resident set size since the process started. */
  readonly peakRss: number;
  /** VmRSS: the resident set size now. */
  readonly rss: number;
}

/** Peak and current RSS of a live process; undefined when it is gone. */
export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The pids of the local stack's services that are running (from their pid files). */
export function servicePids(): Record<string, number> {
  const pids: Record<string, number> = {};
  const directory = stackDirectory();
  for (const service of ['mariadb', 'kafka', 'elasticsearch', 'opensearch']) {
    const file = servicePaths(directory, service).pidFile;
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) pids[service] = pid;
  }
  return pids;
}

/** Seconds since a process started (from /proc), undefined when it is gone. */
export function processUptimeSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(startTicks) && Number.isFinite(bootSeconds) ? Math.round(bootSeconds - startTicks / CLOCK_TICKS_PER_SECOND) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, every core) the whole machine has used so far, from /proc/stat. */
export function machineCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    const busy = (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0) + (fields[7] ?? 0);
    return busy / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * CPU used by a set of processes over an interval, as a share of one core, plus `other`: what
 * the rest of the machine used meanwhile (another workload would show there).
 */
export class CpuMeter {
  private readonly started = performance.now();
  private readonly before = new Map<string, number>();
  private readonly machineBefore = machineCpuSeconds();

  constructor(private readonly pids: Readonly<Record<string, number>>) {
    for (const [name, pid] of Object.entries(pids)) {
      const seconds = name === 'bench' ? ownCpuSeconds() : cpuSeconds(pid);
      if (seconds !== undefined) this.before.set(name, seconds);
    }
  }

  /** Each process's CPU since the meter was created, in % of one core (100 = one core busy). */
  read(): Record<string, number> {
    const elapsed = (performance.now() - this.started) / 1000;
    const shares: Record<string, number> = {};
    let metered = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.before.get(name);
      const after = name === 'bench' ? ownCpuSeconds() : cpuSeconds(pid);
      if (before === undefined || after === undefined || elapsed <= 0) continue;
      metered += after - before;
      shares[name] = Math.round(((after - before) / elapsed) * 100);
    }
    const machineAfter = machineCpuSeconds();
    if (this.machineBefore !== undefined && machineAfter !== undefined && elapsed > 0) {
      shares.other = Math.max(0, Math.round(((machineAfter - this.machineBefore - metered) / elapsed) * 100));
    }
    return shares;
  }
}

/** How a thread's wall time went over an interval, in % of it: on a core, runnable but waiting for one, and neither (idle or blocked). */
export interface ThreadSchedule {
  readonly running: number;
  readonly waitingForCore: number;
  readonly idle: number;
}

/** Nanoseconds a thread has run, and waited runnable for a core, since it started. */
interface ScheduleCounts {
  readonly runNs: number;
  readonly waitNs: number;
}

/** A process's main thread's {@link ScheduleCounts}, from /proc/<pid>/task/<pid>/schedstat; undefined when gone or not kept by the kernel. */
function mainThreadSchedstat(pid: number): ScheduleCounts | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait) ? undefined : { runNs: run, waitNs: wait };
  } catch {
    return undefined;
  }
}

/**
 * The main thread of a process over an interval (from the meter's creation to `read()`): running,
 * runnable but waiting for a core (the machine's other work had it), and idle. A Node.js process
 * idle on its main thread waits for I/O; one waiting for a core is held back by the machine.
 */
export class MainThreadMeter {
  private readonly started = performance.now();
  private readonly before: ScheduleCounts | undefined;

  constructor(private readonly pid: number) {
    this.before = mainThreadSchedstat(pid);
  }

  /** The shares since the meter was created; undefined when the kernel keeps no schedstat or the process is gone. */
  read(): ThreadSchedule | undefined {
    const after = mainThreadSchedstat(this.pid);
    const elapsedNs = (performance.now() - this.started) * 1e6;
    if (this.before === undefined || after === undefined || elapsedNs <= 0) return undefined;
    const running = Math.round(((after.runNs - this.before.runNs) / elapsedNs) * 100);
    const waitingForCore = Math.round(((after.waitNs - this.before.waitNs) / elapsedNs) * 100);
    return { running, waitingForCore, idle: Math.max(0, 100 - running - waitingForCore) };
  }
}

/** A --trace-gc line of a full GC: `Mark-Compact 95.3 (112.6) -> 61.2 (105.4) MB`; captures the heap after it (used, committed). */
const FULL_GC = /^\[\d+:(0x[0-9a-f]+)\].*Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/;

/** The spawn environment that gives sluice processes `nodeOptions` (--node-options) as NODE_OPTIONS; none without. */
export function nodeOptionsEnv(nodeOptions: string | undefined): { env?: Record<string, string> } {
  return nodeOptions === undefined ? {} : { env: { NODE_OPTIONS: nodeOptions } };
}

/** A `sluice <command>` process started by the benchmark. */
export class SluiceProcess extends BenchProcess {
  /** performance.now() when it was spawned (its CPU profile starts about then). */
  readonly startedAt = performance.now();
  private lastMemory: ProcessMemory | undefined;
  /** Heap after each full GC (with --trace-gc, in profile mode): the live heap, and the heap V8 kept. */
  readonly fullGcs: Array<{ isolate: string; atMs: number; liveMiB: number; committedMiB: number }> = [];
  /** RSS samples: milliseconds since start (performance.now() based) and bytes, one a second. */
  private readonly rssSeries: Array<{ atMs: number; rss: number }> = [];

  /**
   * Starts `bin/sluice-node [--cpu-prof] bin/sluice.js <args>` (the compiled command users run,
   * under the same Node.js settings as `bin/sluice`: `npm run bench` builds it first) in the
   * project folder, logging at warn level. With `profileDir`, V8 writes CPU profiles to
   * `<profileDir>/<name>/` when the process exits. VmHWM is read every 250 ms while it lives; the
   * last reading is kept for after it exits.
   */
  constructor(name: string, args: readonly string[], options: { profileDir?: string; env?: Record<string, string> } = {}) {
    // one folder per process: V8 writes one profile per thread
    // --trace-gc: every full GC prints the heap left after it (the live heap), parsed below
    const profile = options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, name)}`, '--trace-gc'];
    const child = spawn(join(PROJECT_ROOT, 'bin', 'sluice-node'), [...profile, join('bin', 'sluice.js'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    super(name, child, { outputLimit: 20_000, sampleEveryMs: 250, ownStdout: true, label: `sluice ${name}` });
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const gc = FULL_GC.exec(line);
        if (gc === null) this.keep(`${line}\n`);
        else this.fullGcs.push({ isolate: gc[1] ?? '', atMs: performance.now(), liveMiB: Number(gc[2]), committedMiB: Number(gc[3]) });
      }
    });
  }

  /** Peak RSS (VmHWM) so far, in bytes. */
  peakRss(): number {
    this.sample();
    return this.lastMemory?.peakRss ?? 0;
  }

  /** The full GCs of the main thread (the isolate with the largest heap; tsx's loader thread has its own). */
  mainThreadFullGcs(): Array<{ atMs: number; liveMiB: number; committedMiB: number }> {
    const largest = new Map<string, number>();
    for (const gc of this.fullGcs) largest.set(gc.isolate, Math.max(largest.get(gc.isolate) ?? 0, gc.committedMiB));
    const main = [...largest].sort((a, b) => b[1] - a[1])[0]?.[0];
    return this.fullGcs.filter((gc) => gc.isolate === main);
  }

  /** The RSS samples taken between two performance.now() instants (one a second). */
  rssBetween(fromMs: number, toMs: number): Array<{ atMs: number; rss: number }> {
    return this.rssSeries.filter((sample) => sample.atMs >= fromMs && sample.atMs <= toMs);
  }

  protected sample(): void {
    if (!this.running) return;
    const memory = processMemory(this.pid);
    if (memory === undefined) return;
    this.lastMemory = memory;
    const atMs = performance.now();
    const last = this.rssSeries[this.rssSeries.length - 1];
    if (last === undefined || atMs - last.atMs >= 1000) this.rssSeries.push({ atMs, rss: memory.rss });
  }
}
