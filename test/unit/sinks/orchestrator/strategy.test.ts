import { describe, expect, it } from 'vitest';
import { decideStrategy } from '../../../../src/sinks/orchestrator/strategy.js';

describe('decideStrategy', () => {
  const same = { hashUnchanged: true, aliasExists: true };
  const changed = { hashUnchanged: false, aliasExists: true };

  // every combination of primary hash, secondary hash and secondary alias
  it.each([
    [true, true, true, 'reindex', 'in-place', 'reindexed-at-completion'],
    [true, true, false, 'multiplex', 'in-place', 'new-index'],
    [true, false, true, 'multiplex', 'in-place', 'new-index'],
    [true, false, false, 'multiplex', 'in-place', 'new-index'],
    [false, true, true, 'multiplex', 'new-index', 'in-place'],
    [false, true, false, 'multiplex', 'new-index', 'new-index'],
    [false, false, true, 'multiplex', 'new-index', 'new-index'],
    [false, false, false, 'multiplex', 'new-index', 'new-index'],
  ] as const)('primary hash same %s, secondary hash same %s, secondary alias %s: %s', (primarySame, secondarySame, secondaryAlias, strategy, primary, secondary) => {
    const plan = decideStrategy({ hashUnchanged: primarySame, aliasExists: true }, { hashUnchanged: secondarySame && secondaryAlias, aliasExists: secondaryAlias });
    expect(plan).toEqual({ strategy, primary, secondary });
  });

  it('without a secondary: reindex (in place) when the primary is unchanged, multiplex into a new index otherwise', () => {
    expect(decideStrategy(same)).toEqual({ strategy: 'reindex', primary: 'in-place' });
    expect(decideStrategy(changed)).toEqual({ strategy: 'multiplex', primary: 'new-index' });
    expect(decideStrategy({ hashUnchanged: false, aliasExists: false })).toEqual({ strategy: 'multiplex', primary: 'new-index' });
  });

  it('a versioned index (sluice indexes) is written in place whatever its hash: its mappings change by migration', () => {
    const versioned = { hashUnchanged: false, aliasExists: true, versionedIndex: true };
    expect(decideStrategy(versioned)).toEqual({ strategy: 'reindex', primary: 'in-place' });
    expect(decideStrategy(versioned, versioned)).toEqual({ strategy: 'reindex', primary: 'in-place', secondary: 'reindexed-at-completion' });
    expect(decideStrategy(changed, versioned)).toEqual({ strategy: 'multiplex', primary: 'new-index', secondary: 'in-place' });
    expect(decideStrategy({ ...versioned, aliasExists: false })).toEqual({ strategy: 'multiplex', primary: 'new-index' });
  });

  it('a primary whose alias vanished gets a new index even when its hash would match', () => {
    expect(decideStrategy({ hashUnchanged: true, aliasExists: false }, same)).toEqual({ strategy: 'multiplex', primary: 'new-index', secondary: 'in-place' });
  });
});
