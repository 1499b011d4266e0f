import { describe, expect, it } from 'vitest';
import { MIN_CEILING_SECONDS, sustainedRounds } from '../../../bench/lib/engine-ceiling.js';

describe('sustainedRounds (how often a ceiling load repeats its documents)', () => {
  it('repeats a short load until it lasts MIN_CEILING_SECONDS at the measured rate', () => {
    // Sakila: 1,000 films, 24 rounds at 28,000 documents/s would be over in 0.86 s
    const rounds = sustainedRounds(1_000, 28_000, 24);
    expect(rounds).toBe(140);
    expect((rounds * 1_000) / 28_000).toBeGreaterThanOrEqual(MIN_CEILING_SECONDS);
  });

  it('keeps the rounds asked for when they already last long enough', () => {
    // the shop: 200,000 documents once at 22,000/s last 9 s
    expect(sustainedRounds(200_000, 22_000, 1)).toBe(1);
    expect(sustainedRounds(1_000, 100, 24)).toBe(24);
  });

  it('rounds up, so the load never falls short of the minimum', () => {
    expect(sustainedRounds(3_000, 1_000, 1)).toBe(2);
  });
});
