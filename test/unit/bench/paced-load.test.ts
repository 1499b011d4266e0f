import { describe, expect, it } from 'vitest';
import { requestDueMs } from '../../../bench/lib/engine-ceiling.js';

describe('requestDueMs (when a paced ceiling load sends each request)', () => {
  it('sends the first request at once', () => {
    expect(requestDueMs(0, 1_000, 10_000)).toBe(0);
  });

  it('spaces requests by the time their documents take at the rate asked for', () => {
    // 1,000 documents per request at 10,000 documents/s: one request every 100 ms
    expect(requestDueMs(1, 1_000, 10_000)).toBe(100);
    expect(requestDueMs(50, 1_000, 10_000)).toBe(5_000);
    // 2,000 per request at 8,000/s: every 250 ms
    expect(requestDueMs(4, 2_000, 8_000)).toBe(1_000);
  });

  it('holds a load of N documents to at least N / rate seconds', () => {
    const documents = 200_000;
    const perRequest = 1_000;
    const rate = 9_000;
    const lastRequestLeavesAt = requestDueMs(documents / perRequest - 1, perRequest, rate);
    expect(lastRequestLeavesAt + (perRequest * 1000) / rate).toBeCloseTo((documents * 1000) / rate, 6);
  });
});
