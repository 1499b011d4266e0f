/**
 * A peer's process started by the benchmark (Debezium Server's JVM, the PGSync daemon): its
 * output kept for errors, its CPU time and the peak RSS of its whole process tree (PGSync may
 * fork workers), sampled while it lives, and a clean stop.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, processMemory } from '../lib/processes.js';
import { BenchProcess } from '../lib/bench-process.js';

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

/** A running peer process; its peak RSS is the sum over its process tree. */
export class PeerProcess extends BenchProcess {
  /** The highest VmHWM seen of each pid of the tree (a worker may exit before the end). */
  private readonly peaks = new Map<number, number>();

  constructor(name: string, command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
    super(name, spawn(command, [...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }), { outputLimit: 50_000, sampleEveryMs: 1_000 });
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

  /** SIGKILL of every process of its tree, the deepest first. */
  protected override killHard(): void {
    for (const pid of processTree(this.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  protected sample(): void {
    if (!this.running) return;
    for (const pid of processTree(this.pid)) {
      const memory = processMemory(pid);
      if (memory !== undefined) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, memory.peakRss));
    }
  }
}
