/**
 * A peer's process started by the benchmark (Debezium Server's JVM, the PGSync daemon): its
 * output kept for errors, its CPU time and the peak RSS of its whole process tree (PGSync may
 * fork workers), sampled while it lives, and a clean stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, processMemory } from '../lib/processes.js';
import { sleep } from '../lib/services.js';

/** The pids of `pid` and all its descendants (from /proc). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const visit = (id: number): void => {
    tree.push(id);
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** A running peer process. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  private output = '';
  /** The highest VmHWM seen of each pid of the tree (a worker may exit before the end). */
  private readonly peaks = new Map<number, number>();
  private readonly sampler: NodeJS.Timeout;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { cwd: string; env?: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, [...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-50_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))));
    this.sampler = setInterval(() => this.sample(), 1_000);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What it printed lately. */
  tail(characters = 2_000): string {
    return this.output.slice(-characters);
  }

  /** All it printed (the last 50,000 characters). */
  get log(): string {
    return this.output;
  }

  /** Throws with its output when it has exited. */
  assertRunning(): void {
    if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}): ${this.tail()}`);
  }

  /** CPU seconds of the main process so far (the JVM's threads are in it). */
  cpuSeconds(): number {
    return cpuSeconds(this.pid) ?? 0;
  }

  /** Sum of the peak RSS of every process of its tree, in bytes. */
  peakRss(): number {
    this.sample();
    return [...this.peaks.values()].reduce((a, b) => a + b, 0);
  }

  /** SIGTERM (a clean stop: offsets flushed), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<number> {
    this.sample();
    clearInterval(this.sampler);
    if (this.running) this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (code !== undefined) return code;
    for (const pid of processTree(this.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    return this.exited;
  }

  private sample(): void {
    if (!this.running) return;
    for (const pid of processTree(this.pid)) {
      const memory = processMemory(pid);
      if (memory !== undefined) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, memory.peakRss));
    }
  }
}
