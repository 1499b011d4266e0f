import type { SearchEngine } from '../engine/search-engine.js';
import { channelHash, channelNames, type ChannelSpec } from './channel.js';
import type { ChannelObservation } from './strategy.js';

/** A channel as found in the engine at the start of a sync. */
export interface ChannelState extends ChannelObservation {
  readonly spec: ChannelSpec;
  readonly hash: string;
  /** The index behind the read alias (undefined when there is no alias). */
  readonly currentIndex: string | undefined;
  /** A concrete index (not an alias) holds the read alias's name (made by the continuous sink before any sync). */
  readonly concreteIndex: boolean;
  /** The indexes the write alias points at. */
  readonly writeIndexes: readonly string[];
}

/** Reads a channel's alias, the hash of the index behind it (and whether `sluice indexes` versions it), and whether a plain index holds its name. */
export async function inspectChannel(engine: SearchEngine, spec: ChannelSpec): Promise<ChannelState> {
  const hash = channelHash(spec);
  const alias = channelNames.readAlias(spec);
  const behind = Object.keys(await engine.getAlias(alias));
  const writeIndexes = Object.keys(await engine.getAlias(channelNames.writeAlias(spec)));
  if (behind.length === 0) {
    const concreteIndex = await engine.indexExists(alias);
    return { spec, hash, currentIndex: undefined, concreteIndex, writeIndexes, aliasExists: false, hashUnchanged: false };
  }
  const meta = await engine.getMappingMeta(alias);
  const versionedIndex = meta?.sluice_version !== undefined;
  return { spec, hash, currentIndex: [...behind].sort().at(-1), concreteIndex: false, writeIndexes, aliasExists: true, hashUnchanged: meta?.sluice_hash === hash, versionedIndex };
}
