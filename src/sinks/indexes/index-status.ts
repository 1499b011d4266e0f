import type { SearchEngine } from '../engine/search-engine.js';
import { LOCK_INDEX } from './index-lock.js';
import { migrationLockId } from './migrate-index.js';
import { PartitionedIndex, type PartitionedIndexSpec } from './partitioned-index.js';
import { currentVersion, versionedNames, type VersionedIndexSpec } from './versioned-index.js';

/** One index behind a managed name, as status reports it. */
export interface IndexStatusEntry {
  readonly index: string;
  readonly docs: number;
  /** Age in ms: since creation (versioned), since the partition's end (partitioned, 0 for the current one). */
  readonly ageMs: number;
  /** Behind the alias (versioned) or the umbrella alias (partitioned). */
  readonly aliased: boolean;
  readonly retentionDue: boolean;
}

/** The status of one managed index. */
export interface ManagedIndexStatus {
  readonly name: string;
  readonly kind: 'versioned' | 'daily' | 'monthly';
  readonly configuredVersion: number;
  /** The version the alias points at (null: not created yet). */
  readonly currentVersion: number | null;
  readonly indexes: readonly IndexStatusEntry[];
  /** e.g. "migrate v1 -> v3", "create films-v1"; null when nothing is pending. */
  readonly pending: string | null;
  /** A migration holding the lock now, or one interrupted (resumed by the next migrate). */
  readonly migration?: { readonly owner: string | null; readonly phase: string; readonly from: number; readonly to: number; readonly running: boolean };
  /** Partitioned indexes: each window alias and its partitions. */
  readonly windows?: Readonly<Record<string, readonly string[]>>;
}

/** The status of a versioned index: backing and error indexes, version, counts, pending and running migrations. */
export async function versionedStatus(engine: SearchEngine, spec: VersionedIndexSpec, now: number = Date.now()): Promise<ManagedIndexStatus> {
  const current = await currentVersion(engine, spec.name);
  const behind = await engine.getAlias(spec.name);
  const found = (await engine.listIndexes(`${spec.name}-v*`)).filter((entry) => versionedNames.versionOf(spec.name, entry.index) !== undefined || /-v\d+-error$/.test(entry.index));
  const lock = await engine.get<{ owner: string | null; expiresAt: number; state?: { from: number; to: number; phase: string } | null }>(LOCK_INDEX, migrationLockId(spec.name)).catch(() => undefined);
  const state = lock?._source.state ?? undefined;
  const pending =
    current === undefined ? `create ${versionedNames.backing(spec.name, spec.version)}` : current.version < spec.version ? `migrate v${current.version} -> v${spec.version}` : null;
  return {
    name: spec.name,
    kind: 'versioned',
    configuredVersion: spec.version,
    currentVersion: current?.version ?? null,
    indexes: found.map((entry) => ({ index: entry.index, docs: entry.docs, ageMs: Math.max(0, now - entry.createdMs), aliased: entry.index in behind, retentionDue: false })),
    pending,
    ...(state === undefined || state.phase === 'done' || lock === undefined
      ? {}
      : { migration: { owner: lock._source.owner, phase: state.phase, from: state.from, to: state.to, running: lock._source.owner !== null && lock._source.expiresAt > now } }),
  };
}

/** The status of a partitioned index: partitions with counts and ages, retention due, windows. */
export async function partitionedStatus(engine: SearchEngine, spec: PartitionedIndexSpec, now: () => number = Date.now): Promise<ManagedIndexStatus> {
  const index = new PartitionedIndex(engine, spec, { now });
  const partitions = await index.partitions();
  const expired = new Set((await index.expired()).map((partition) => partition.index));
  const counts = new Map((await engine.listIndexes(`${spec.name}-v*`)).map((entry) => [entry.index, entry.docs]));
  const behind = await engine.getAlias(spec.name);
  const windows: Record<string, string[]> = {};
  for (const window of Object.keys(spec.windows ?? {})) windows[window] = Object.keys(await engine.getAlias(index.windowAlias(window))).sort();
  const versions = partitions.map((partition) => partition.version);
  return {
    name: spec.name,
    kind: spec.interval,
    configuredVersion: spec.version,
    currentVersion: versions.length === 0 ? null : Math.max(...versions),
    indexes: partitions.map((partition) => ({
      index: partition.index,
      docs: counts.get(partition.index) ?? 0,
      ageMs: Math.max(0, now() - partition.end),
      aliased: partition.index in behind,
      retentionDue: expired.has(partition.index),
    })),
    pending: expired.size > 0 ? `maintain: delete ${expired.size} expired partition${expired.size > 1 ? 's' : ''}` : null,
    windows,
  };
}
