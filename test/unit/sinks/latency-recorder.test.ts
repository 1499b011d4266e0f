import { describe, expect, it } from 'vitest';
import type { ChangeEvent, ChangeSource } from '../../../src/model/change-event.js';
import { LatencyRecorder } from '../../../src/sinks/latency-recorder.js';

const NOW = 1_700_000_000_000;

function event(tsMs: number, snapshot: ChangeSource['snapshot'] = 'false'): ChangeEvent {
  return {
    op: snapshot === 'false' ? 'u' : 'r',
    before: null,
    after: { id: 1 },
    source: { version: '0.1.0', connector: 'mysql', name: 'test', tsMs, snapshot, db: 'db', table: 't', serverId: 1, gtid: null, file: null, pos: null, row: 0 },
    tsMs: NOW,
    transaction: null,
  };
}

describe('LatencyRecorder', () => {
  it('summarizes nothing as nulls', () => {
    expect(new LatencyRecorder(10).summary()).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
    expect(LatencyRecorder.empty()).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
  });

  it('records commit-to-acknowledged latency of streamed changes, ignoring snapshot reads', () => {
    const recorder = new LatencyRecorder(100);
    recorder.recordChanges(
      [event(NOW - 40), event(NOW - 5_000, 'true'), event(NOW - 5_000, 'last'), event(NOW - 5_000, 'incremental'), event(NOW - 10)],
      NOW,
    );
    expect(recorder.summary()).toEqual({ count: 2, p50: 10, p95: 40, p99: 40, max: 40 });
    const snapshotOnly = new LatencyRecorder(100);
    snapshotOnly.recordChanges([event(NOW - 1, 'true'), event(NOW - 1, 'last')], NOW);
    expect(snapshotOnly.summary().count).toBe(0);
  });

  it('counts a commit timestamp ahead of the local clock as 0 ms', () => {
    const recorder = new LatencyRecorder(10);
    recorder.recordChanges([event(NOW + 250)], NOW);
    expect(recorder.summary()).toEqual({ count: 1, p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('reports nearest-rank percentiles', () => {
    const recorder = new LatencyRecorder(1_000);
    // 1..100 in a shuffled order
    for (let index = 0; index < 100; index += 1) recorder.record(((index * 37) % 100) + 1);
    expect(recorder.summary()).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    const one = new LatencyRecorder(10);
    one.record(7);
    expect(one.summary()).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    const ten = new LatencyRecorder(10);
    for (const milliseconds of [1, 2, 3, 4, 5, 6, 7, 8, 9, 1_000]) ten.record(milliseconds);
    expect(ten.summary()).toEqual({ count: 10, p50: 5, p95: 1_000, p99: 1_000, max: 1_000 });
  });

  it('keeps only the last `capacity` samples, while counting every one', () => {
    const recorder = new LatencyRecorder(3);
    for (const milliseconds of [1_000, 900, 800]) recorder.record(milliseconds);
    expect(recorder.summary()).toEqual({ count: 3, p50: 900, p95: 1_000, p99: 1_000, max: 1_000 });
    recorder.record(1);
    recorder.record(2);
    // the window holds 800, 1, 2: the two oldest samples are gone
    expect(recorder.summary()).toEqual({ count: 5, p50: 2, p95: 800, p99: 800, max: 800 });
    for (let index = 0; index < 7; index += 1) recorder.record(5);
    expect(recorder.summary()).toEqual({ count: 12, p50: 5, p95: 5, p99: 5, max: 5 });
  });

  it('keeps a bounded window across many pages', () => {
    const recorder = new LatencyRecorder(10);
    for (let page = 0; page < 50; page += 1) recorder.recordChanges(Array.from({ length: 7 }, (_, index) => event(NOW - page * 10 - index)), NOW);
    const summary = recorder.summary();
    expect(summary.count).toBe(350);
    // the window holds the last 10 samples: 484..486 of page 48 and 490..496 of page 49
    expect(summary).toEqual({ count: 350, p50: 491, p95: 496, p99: 496, max: 496 });
  });
});
