import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, staleTestTopics, testTopicCreatedAt } from '../helpers/stale-test-topics.js';
import { uniqueName } from '../helpers/names.js';

describe('the sweep of topics earlier test runs left', () => {
  const now = Date.UTC(2026, 11, 1, 8, 0, 0);
  const named = (prefix: string, at: number): string => `${prefix}_${at.toString(36)}_0a1b2c3d`;

  it('reads the time uniqueName put in a database, pipeline or topic name', () => {
    const database = uniqueName('sakila');
    const pipeline = database.replaceAll('_', '-');
    const createdAt = testTopicCreatedAt(`${pipeline}.${database}.film`);
    expect(createdAt).toBeGreaterThan(Date.now() - 60_000);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
    expect(testTopicCreatedAt(`${pipeline}.__positions`)).toBe(createdAt);
  });

  it('keeps topics no test named, and young test topics', () => {
    const old = now - STALE_AFTER_MS - 1;
    const young = now - STALE_AFTER_MS + 60_000;
    const topics = [
      `${named('sakila', old)}.__positions`,
      `${named('cap', old).replaceAll('_', '-')}.${named('capture', old)}.nokey`,
      `${named('sakila', young)}.__positions`,
      'shop.shop.products',
      '__consumer_offsets',
      'bench-1796101587461.__positions',
      'orders_products_deadbeef',
    ];
    expect(staleTestTopics(topics, now)).toEqual([topics[0], topics[1]]);
  });
});
