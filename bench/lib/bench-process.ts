/**
 * What every process the benchmark starts has in common (a sluice command, a peer's daemon): its
 * recent output kept for errors, its exit code, a sampler of its memory while it lives, and a clean
 * stop (SIGTERM, then a hard kill after a grace period).
 */
import type { ChildProcess } from 'node:child_process';
import { sleep } from './services.js';

/** A process started by the benchmark; subclasses say what `sample` reads and how a hard kill is done. */
export abstract class BenchProcess {
  readonly exited: Promise<number>;
  private output = '';
  private readonly watched = new Map<string, boolean>();
  private readonly sampler: NodeJS.Timeout;

  /**
   * Watches `child`: keeps the last `outputLimit` characters of its stderr (and of its stdout unless
   * the subclass reads stdout itself and passes lines on with `keep`), and calls `sample` every
   * `sampleEveryMs` while it lives. `label` names it in errors (default: `name`).
   */
  protected constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly settings: { readonly outputLimit: number; readonly sampleEveryMs: number; readonly ownStdout?: boolean; readonly label?: string },
  ) {
    const keep = (chunk: Buffer): void => this.keep(chunk.toString());
    if (settings.ownStdout !== true) child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))));
    this.sampler = setInterval(() => this.sample(), settings.sampleEveryMs);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last characters it printed. */
  tail(characters = 2_000): string {
    return this.output.slice(-characters);
  }

  /**
   * Starts watching its output for `needle`; the probe returned is true once the needle was printed
   * after this call, however much it printed since (the kept output is only the last characters).
   */
  watchFor(needle: string): () => boolean {
    this.watched.set(needle, false);
    return () => this.watched.get(needle) === true;
  }

  /** Throws with its output when the process has exited. */
  assertRunning(): void {
    if (!this.running) throw new Error(`${this.settings.label ?? this.name} exited (${this.child.exitCode ?? this.child.signalCode}): ${this.tail()}`);
  }

  /** Stops it with SIGTERM (a clean stop), a hard kill after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 30_000): Promise<number> {
    this.sample();
    clearInterval(this.sampler);
    if (this.running) this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (code !== undefined) return code;
    this.killHard();
    return this.exited;
  }

  /** Keeps printed text for `tail`, and marks the needles of `watchFor` it contains. */
  protected keep(text: string): void {
    for (const [needle, seen] of this.watched) {
      // the needle may straddle two chunks: look at the end of the kept output too
      if (!seen && (this.output.slice(-needle.length) + text).includes(needle)) this.watched.set(needle, true);
    }
    this.output = (this.output + text).slice(-this.settings.outputLimit);
  }

  /** SIGKILL of the process (a subclass may kill its whole tree). */
  protected killHard(): void {
    this.child.kill('SIGKILL');
  }

  /** Reads what the subclass tracks about the live process (memory). */
  protected abstract sample(): void;
}
