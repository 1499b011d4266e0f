/**
 * The strategy of a full sync, decided once at its start from what the channels look like.
 *
 * - **reindex**: the primary's hash is unchanged, and either there is no secondary channel or the
 *   secondary's hash is unchanged and its read alias exists. Only the primary is written (in
 *   place); at completion the documents this batch changed are `_reindex`ed into the secondary.
 * - **multiplex**: otherwise. Every channel gets every document; a channel whose hash changed (or
 *   whose read alias is missing) is written into a new backing index that the read alias moves to
 *   at completion.
 */
export type SyncStrategy = 'reindex' | 'multiplex';

/** What is known about one channel at the start of a sync. */
export interface ChannelObservation {
  /** The hash of the channel's settings + mappings equals the hash of the index behind its read alias. */
  readonly hashUnchanged: boolean;
  /** The read alias exists (and points at an index sluice made). */
  readonly aliasExists: boolean;
  /**
   * The index behind the read alias is a versioned index of `sluice indexes` (`_meta.sluice_version`):
   * its mappings change only by `sluice indexes migrate`, so a sync writes it in place whatever its hash.
   */
  readonly versionedIndex?: boolean;
}

/** Where one channel is written during the sync. */
export type ChannelPlan = 'in-place' | 'new-index' | 'reindexed-at-completion';

/** The decision: the strategy and what happens to each channel. */
export interface SyncPlan {
  readonly strategy: SyncStrategy;
  readonly primary: Exclude<ChannelPlan, 'reindexed-at-completion'>;
  readonly secondary?: ChannelPlan;
}

/** A channel is written in place when its alias exists and its hash is unchanged (or its index is versioned); else into a new index. */
function placement(channel: ChannelObservation): 'in-place' | 'new-index' {
  return channel.aliasExists && (channel.hashUnchanged || channel.versionedIndex === true) ? 'in-place' : 'new-index';
}

/** Decides the strategy (pure: see {@link SyncStrategy}). `secondary` undefined: the family has no secondary channel. */
export function decideStrategy(primary: ChannelObservation, secondary?: ChannelObservation): SyncPlan {
  const primaryPlan = placement(primary);
  if (secondary === undefined) {
    return { strategy: primaryPlan === 'in-place' ? 'reindex' : 'multiplex', primary: primaryPlan };
  }
  if (primaryPlan === 'in-place' && placement(secondary) === 'in-place') {
    return { strategy: 'reindex', primary: primaryPlan, secondary: 'reindexed-at-completion' };
  }
  return { strategy: 'multiplex', primary: primaryPlan, secondary: placement(secondary) };
}
