import { describe, expect, it } from 'vitest';
import { addCounts, BatchesInFlight, NO_WRITES } from '../../../src/sinks/sink-page.js';

describe('BatchesInFlight', () => {
  it('settles once every batch registered before the call is done, not waiting for later ones', async () => {
    const inFlight = new BatchesInFlight();
    const first = inFlight.begin();
    const second = inFlight.begin();
    let settled = false;
    const barrier = inFlight.settled().then(() => (settled = true));
    const later = inFlight.begin();
    first();
    await Promise.resolve();
    expect(settled).toBe(false);
    second();
    second(); // done twice is harmless
    await barrier;
    expect(settled).toBe(true);
    later();
    await inFlight.settled();
  });

  it('has room below its limit and wakes the waiters once a batch is done', async () => {
    const inFlight = new BatchesInFlight(2);
    await inFlight.room();
    const first = inFlight.begin();
    await inFlight.room();
    const second = inFlight.begin();
    let roomy = false;
    const waiting = inFlight.room().then(() => (roomy = true));
    await Promise.resolve();
    expect(roomy).toBe(false);
    first();
    await waiting;
    expect(roomy).toBe(true);
    second();
  });

  it('always has room without a limit', async () => {
    const inFlight = new BatchesInFlight();
    for (let batch = 0; batch < 1000; batch += 1) inFlight.begin();
    await expect(inFlight.room()).resolves.toBeUndefined();
  });

  it('settles at once with nothing in flight', async () => {
    await expect(new BatchesInFlight().settled()).resolves.toBeUndefined();
  });
});

describe('addCounts', () => {
  it('adds every counter', () => {
    expect(addCounts(addCounts(NO_WRITES, { documents: 1, deletes: 2, superseded: 3, rejected: 4 }), { documents: 1, deletes: 1, superseded: 1, rejected: 1 })).toEqual({ documents: 2, deletes: 3, superseded: 4, rejected: 5 });
  });
});
