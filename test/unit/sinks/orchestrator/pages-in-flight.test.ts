import { describe, expect, it } from 'vitest';
import { forEachPageInFlight } from '../../../../src/sinks/orchestrator/pages-in-flight.js';

/** Pages 1..count, recording how many were pulled. */
async function* pagesOf(count: number, pulled: number[]): AsyncGenerator<number> {
  for (let page = 1; page <= count; page += 1) {
    await Promise.resolve();
    pulled.push(page);
    yield page;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('forEachPageInFlight', () => {
  it('works on every page with at most `limit` at once, pulling a page only when a place is free', async () => {
    const pulled: number[] = [];
    const done: number[] = [];
    let running = 0;
    let most = 0;
    await forEachPageInFlight(pagesOf(20, pulled), 3, async (page) => {
      running += 1;
      most = Math.max(most, running);
      // pages never run further ahead of the finished ones than the limit allows
      expect(pulled.length - done.length).toBeLessThanOrEqual(3);
      await tick();
      running -= 1;
      done.push(page);
    });
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it('stops pulling at the first failure and throws it once the started pages settled', async () => {
    const pulled: number[] = [];
    const started: number[] = [];
    const settled: number[] = [];
    const failing = forEachPageInFlight(pagesOf(50, pulled), 2, async (page) => {
      started.push(page);
      await tick();
      settled.push(page);
      if (page === 3) throw new Error('page 3 failed');
    });
    await expect(failing).rejects.toThrow('page 3 failed');
    expect(pulled.length).toBeLessThan(10);
    // every page that was started had settled when the failure was thrown; none started after it
    expect(settled.sort((a, b) => a - b)).toEqual(started.sort((a, b) => a - b));
    expect(Math.max(...started)).toBeLessThanOrEqual(4);
  });

  it('stops on an abort, after the started pages settled', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const settled: number[] = [];
    const aborted = forEachPageInFlight(
      pagesOf(50, []),
      2,
      async (page) => {
        started.push(page);
        if (page === 4) controller.abort(new Error('stopped'));
        await tick();
        settled.push(page);
      },
      controller.signal,
    );
    await expect(aborted).rejects.toThrow('stopped');
    expect(Math.max(...started)).toBe(4);
    expect(settled.sort((a, b) => a - b)).toEqual(started.sort((a, b) => a - b));
  });
});
