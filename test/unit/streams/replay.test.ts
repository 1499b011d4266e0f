import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { formatReplayPlan, parseReplayOffsets, type ReplayPlanEntry } from '../../../src/streams/replay.js';

describe('parseReplayOffsets', () => {
  it('parses topic:partition=offset entries separated by commas', () => {
    expect(parseReplayOffsets('orders:0=42, orders:1=40,sakila.film-v2:3=0')).toEqual([
      { topic: 'orders', partition: 0, offset: '42' },
      { topic: 'orders', partition: 1, offset: '40' },
      { topic: 'sakila.film-v2', partition: 3, offset: '0' },
    ]);
  });

  it('keeps offsets beyond 2^53 exact and normalises leading zeros', () => {
    expect(parseReplayOffsets('t:0=9223372036854775000,t:1=007')).toEqual([
      { topic: 't', partition: 0, offset: '9223372036854775000' },
      { topic: 't', partition: 1, offset: '7' },
    ]);
  });

  it.each([
    ['', 'no replay offsets given'],
    ['   ', 'no replay offsets given'],
    ['orders', 'invalid replay offset "orders"'],
    ['orders:0', 'invalid replay offset "orders:0"'],
    ['orders=5', 'invalid replay offset "orders=5"'],
    [':0=5', 'invalid replay offset ":0=5"'],
    ['orders:x=5', 'invalid replay offset "orders:x=5"'],
    ['orders:-1=5', 'invalid replay offset "orders:-1=5"'],
    ['orders:0=-5', 'invalid replay offset "orders:0=-5"'],
    ['orders:0=5.5', 'invalid replay offset "orders:0=5.5"'],
    ['orders:0=', 'invalid replay offset "orders:0="'],
    ['bad topic:0=1', 'invalid replay offset "bad topic:0=1"'],
    ['a:b:0=1', 'invalid replay offset "a:b:0=1"'],
    ['orders:0=1,', 'invalid replay offset ""'],
    ['orders:0=1,orders:0=2', 'replay offset for orders:0 given twice'],
  ])('rejects %j with a ConfigurationError', (spec, message) => {
    let thrown: unknown;
    try {
      parseReplayOffsets(spec);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).message).toContain(message);
    expect((thrown as ConfigurationError).fix).not.toBe('');
  });
});

function entry(topic: string, partition: number, currentOffset: string | null, targetOffset: string): ReplayPlanEntry {
  return {
    topic,
    partition,
    low: '0',
    high: '1000',
    currentOffset,
    targetOffset,
    delta: currentOffset === null ? null : (BigInt(targetOffset) - BigInt(currentOffset)).toString(),
    lag: (1000n - BigInt(targetOffset)).toString(),
  };
}

describe('formatReplayPlan', () => {
  it('prints an aligned table: topics left-aligned, numbers right-aligned, signed deltas', () => {
    const table = formatReplayPlan([
      entry('sakila.film', 0, '120', '0'),
      entry('sakila.film', 1, null, '0'),
      entry('sakila.category', 10, '5', '1000'),
      entry('sakila.category', 2, '7', '7'),
    ]);
    expect(table).toBe(
      [
        'topic            partition  current  target  delta',
        'sakila.film              0      120       0   -120',
        'sakila.film              1        -       0      -',
        'sakila.category         10        5    1000   +995',
        'sakila.category          2        7       7      0',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to replay', () => {
    expect(formatReplayPlan([])).toBe('nothing to replay: the plan has no partitions\n');
  });
});
