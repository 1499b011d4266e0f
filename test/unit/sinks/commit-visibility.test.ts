import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BinlogCoordinate } from '../../../src/descriptors/version-clock.js';
import type { ChangeEvent } from '../../../src/model/change-event.js';
import { CommitVisibility, highestPosition, VISIBLE_TRUSTED_MS } from '../../../src/sinks/commit-visibility.js';
import type { DecodedPage, PageChange } from '../../../src/sinks/sink-page.js';

/** A barrier over a scripted database: each read answers the next coordinate (the last one repeats); a fake clock moves with the sleeps. */
function scripted(
  answers: Array<BinlogCoordinate | undefined>,
  maxWaitMs = 1000,
): { visibility: CommitVisibility; reads: () => number; sleeps: number[]; warnings: string[]; advance: (ms: number) => void } {
  let reads = 0;
  let clock = 0;
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
  const visibility = new CommitVisibility(
    () => {
      const answer = answers[Math.min(reads, answers.length - 1)];
      reads += 1;
      return Promise.resolve(answer);
    },
    {
      logger,
      maxWaitMs,
      now: () => clock,
      sleep: (ms) => {
        sleeps.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    },
  );
  return {
    visibility,
    reads: () => reads,
    sleeps,
    warnings,
    advance: (ms) => {
      clock += ms;
    },
  };
}

const at = (index: number, position: number, basename = 'binlog'): BinlogCoordinate => ({ file: `${basename}.${String(index).padStart(6, '0')}`, position });

function change(file: string | null, pos: number | null): PageChange {
  return { event: { source: { file, pos } } as unknown as ChangeEvent, trigger: { topic: 'changes', partition: 0, offset: '0' } };
}

function pageOf(...changes: PageChange[]): DecodedPage {
  return { page: { topic: 'changes', partition: 0, messages: [], commit: () => Promise.resolve() }, changes, undecodable: 0 };
}

describe('CommitVisibility', () => {
  it('reads until the database shows a snapshot at or past the change, then counts one wait', async () => {
    const { visibility, reads, sleeps } = scripted([at(3, 100), at(3, 180), at(3, 400)]);
    await visibility.waitFor(at(3, 400));
    expect(reads()).toBe(3);
    expect(sleeps).toEqual([1, 2]);
    expect(visibility.stats).toEqual({ waits: 1, waitedMs: 3 });
  });

  it('does not wait when the first read is already past the change, and does not ask again for what it confirmed within a second', async () => {
    const { visibility, reads, sleeps } = scripted([at(3, 900)]);
    await visibility.waitFor(at(3, 400));
    await visibility.waitFor(at(3, 900));
    await visibility.waitFor(at(2, 5_000));
    expect(reads()).toBe(1);
    expect(sleeps).toEqual([]);
    expect(visibility.stats).toEqual({ waits: 0, waitedMs: 0 });
  });

  it('compares files before positions: a snapshot in the next binlog file is past every position of the previous one', async () => {
    const { visibility, reads } = scripted([at(3, 900_000), at(4, 4)]);
    await visibility.waitFor(at(3, 950_000));
    expect(reads()).toBe(2);
  });

  it('reads again when a change lies past what it confirmed', async () => {
    const { visibility, reads } = scripted([at(3, 500), at(3, 700)]);
    await visibility.waitFor(at(3, 500));
    await visibility.waitFor(at(3, 600));
    expect(reads()).toBe(2);
  });

  it('goes on at once, with one warning, on a server without a snapshot coordinate (MySQL), and stops asking', async () => {
    const { visibility, reads, warnings } = scripted([undefined]);
    await visibility.waitFor(at(3, 400));
    await visibility.waitFor(at(3, 500));
    expect(reads()).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('MySQL');
  });

  it('does not wait for a change of another binlog base name (positions not comparable)', async () => {
    const { visibility, reads, sleeps } = scripted([at(1, 10, 'other')]);
    await visibility.waitFor(at(3, 400));
    expect(reads()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up after maxWaitMs on a change in the same or the next file that never becomes visible, with a warning each time', async () => {
    const { visibility, warnings, sleeps } = scripted([at(1, 50)], 200);
    await visibility.waitFor(at(2, 1_000));
    expect(warnings).toEqual([expect.stringContaining('the binlog went back')]);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(200);
    await visibility.waitFor(at(1, 900));
    expect(warnings).toHaveLength(2);
  });

  it('does not wait for a change more than one file ahead of the database (a binlog that went back)', async () => {
    const { visibility, reads, sleeps, warnings } = scripted([at(1, 50)]);
    await visibility.waitFor(at(3, 100));
    expect(reads()).toBe(1);
    expect(sleeps).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('asks again once a confirmation is a second old, so it still waits for changes of a binlog that went back', async () => {
    const { visibility, reads, advance } = scripted([at(9, 100), at(1, 50), at(1, 60), at(1, 80)]);
    await visibility.waitFor(at(9, 100));
    advance(VISIBLE_TRUSTED_MS);
    await visibility.waitFor(at(1, 80));
    expect(reads()).toBe(4);
  });
});

describe('highestPosition', () => {
  it('is the highest file and position among the changes that carry one', () => {
    const page = pageOf(change('binlog.000003', 900), change(null, null), change('binlog.000004', 12), change('binlog.000003', 950));
    expect(highestPosition(page)).toEqual({ file: 'binlog.000004', position: 12 });
  });

  it('goes back and forth between files, keeps the first binlog basename, and skips unreadable positions', () => {
    const page = pageOf(
      change('binlog.000007', 40),
      change('binlog.000008', 5),
      change('binlog.000007', 90),
      change('other.000009', 1),
      change('no-suffix', 2),
      change('binlog.000008', -1),
      change('binlog.000008', 4),
      change('binlog.000008', 6),
    );
    expect(highestPosition(page)).toEqual({ file: 'binlog.000008', position: 6 });
    expect(highestPosition(pageOf(change('no-suffix', 3), change('binlog.000002', 7)))).toEqual({ file: 'binlog.000002', position: 7 });
    expect(highestPosition(pageOf(change('binlog.000002', 1.5)))).toBeUndefined();
  });

  it('is undefined for a page of changes without positions', () => {
    expect(highestPosition(pageOf(change(null, null)))).toBeUndefined();
    expect(highestPosition(pageOf())).toBeUndefined();
  });
});
