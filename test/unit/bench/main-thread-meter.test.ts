import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MainThreadMeter } from '../../../bench/lib/processes.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A Node.js process running `code`, killed after the test. */
function node(code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('MainThreadMeter (the bench sink main thread: running, waiting for a core, idle, from schedstat)', () => {
  it('finds a spinning main thread never idle, and a sleeping one mostly idle', async () => {
    const spinning = node('for (const start = Date.now(); Date.now() - start < 10_000; );');
    const sleeping = node('setTimeout(() => undefined, 10_000);');
    // past both processes' start-up
    await sleep(1_000);
    const spinningMeter = new MainThreadMeter(spinning.pid ?? 0);
    const sleepingMeter = new MainThreadMeter(sleeping.pid ?? 0);
    await sleep(600);
    const spun = spinningMeter.read();
    const slept = sleepingMeter.read();
    expect(spun).toBeDefined();
    expect(slept).toBeDefined();
    // runnable all along: on a core, or waiting for one when the machine is busy
    expect((spun?.running ?? 0) + (spun?.waitingForCore ?? 0)).toBeGreaterThanOrEqual(85);
    expect(spun?.idle).toBeLessThanOrEqual(15);
    expect(slept?.idle).toBeGreaterThanOrEqual(85);
  });

  it('reads nothing for a process that is gone', async () => {
    const child = node('');
    const meter = new MainThreadMeter(child.pid ?? 0);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(meter.read()).toBeUndefined();
  });
});
