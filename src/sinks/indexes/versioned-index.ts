import { ConfigurationError } from '../../errors.js';
import type { SearchEngine } from '../engine/search-engine.js';
import { canonicalJson } from '../orchestrator/channel.js';
import { createHash } from 'node:crypto';
import { diffMappings } from './mapping-diff.js';
import type { Migrations } from './migration-script.js';

/**
 * A versioned index: the alias `name` in front of the backing index `name-vN`. Raising `version`
 * is a migration (see migrate-index.ts); adding fields is not.
 */
export interface VersionedIndexSpec {
  /** The alias searches and writes use. */
  readonly name: string;
  /** The version the configuration describes (1, 2, ...). */
  readonly version: number;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  /** The mappings of the current version. */
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** The steps of each version (from version N-1 to N). */
  readonly migrations?: Migrations | undefined;
  /** A date (or epoch millis) field every write sets: the second pass of a migration copies what changed during the first. */
  readonly timestampField?: string | undefined;
  /** Keep the previous backing index after a migration (default true). */
  readonly keepOldIndex?: boolean | undefined;
}

/** Names of a versioned index's backing and error indexes. */
export const versionedNames = {
  backing: (name: string, version: number): string => `${name}-v${version}`,
  error: (name: string, version: number): string => `${name}-v${version}-error`,
  /** The version of a backing index of `name` (undefined for other indexes, e.g. error indexes). */
  versionOf(name: string, index: string): number | undefined {
    const match = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v(\\d+)$`).exec(index);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  },
};

/** The settings and mappings hash kept in the index's `_meta.sluice_hash`: equal means nothing to do. */
export function specHash(spec: Pick<VersionedIndexSpec, 'settings' | 'mappings'>): string {
  return createHash('sha256').update(canonicalJson({ settings: spec.settings ?? {}, mappings: spec.mappings ?? {} })).digest('hex').slice(0, 32);
}

/** The index body of a backing index of `spec` at its version. */
export function backingBody(spec: VersionedIndexSpec, extraMeta: Readonly<Record<string, unknown>> = {}): { settings: Record<string, unknown>; mappings: Record<string, unknown> } {
  const mappings = { ...(spec.mappings ?? {}) } as Record<string, unknown>;
  const meta = { ...((mappings._meta as Record<string, unknown> | undefined) ?? {}), sluice_hash: specHash(spec), sluice_version: spec.version, ...extraMeta };
  return { settings: { ...(spec.settings ?? {}) }, mappings: { ...mappings, _meta: meta } };
}

/** The version the alias points at now (its write index, else the highest backing index); undefined without alias. */
export async function currentVersion(engine: SearchEngine, name: string): Promise<{ version: number; index: string } | undefined> {
  const behind = await engine.getAlias(name);
  const entries = Object.entries(behind)
    .map(([index, { isWriteIndex }]) => ({ index, isWriteIndex, version: versionedNames.versionOf(name, index) }))
    .filter((entry): entry is { index: string; isWriteIndex: boolean; version: number } => entry.version !== undefined)
    .sort((a, b) => Number(b.isWriteIndex) - Number(a.isWriteIndex) || b.version - a.version);
  const first = entries[0];
  return first === undefined ? undefined : { version: first.version, index: first.index };
}

/** What {@link ensureVersionedIndex} did. */
export type EnsureOutcome =
  | { readonly action: 'created'; readonly index: string }
  | { readonly action: 'unchanged'; readonly index: string }
  | { readonly action: 'fields-added'; readonly index: string; readonly fields: readonly string[] }
  | { readonly action: 'migration-pending'; readonly index: string; readonly from: number; readonly to: number };

/**
 * Makes the index match its configuration without migrating: creates `name-vN` behind the alias
 * when there is none; when the version is the same and the configuration changed, adds new fields
 * in place and refuses a type change (ConfigurationError: bump the version). Cheap when nothing
 * changed (the hash in `_meta` matches), and safe from several processes at once.
 */
export async function ensureVersionedIndex(engine: SearchEngine, spec: VersionedIndexSpec, where = `indexes.${spec.name}`): Promise<EnsureOutcome> {
  const current = await currentVersion(engine, spec.name);
  if (current === undefined) {
    if ((await engine.indexExists(spec.name)) && Object.keys(await engine.getAlias(spec.name)).length === 0) {
      throw new ConfigurationError(`${where}: a plain index named ${spec.name} exists, so the alias ${spec.name} cannot be created`, `reindex ${spec.name} into ${versionedNames.backing(spec.name, spec.version)} and delete it, or choose another name`);
    }
    const index = versionedNames.backing(spec.name, spec.version);
    const created = await engine.createIndex(index, { ...backingBody(spec), aliases: { [spec.name]: { is_write_index: true } } });
    if (created === 'created') return { action: 'created', index };
    return ensureVersionedIndex(engine, spec, where);
  }
  if (current.version < spec.version) return { action: 'migration-pending', index: current.index, from: current.version, to: spec.version };
  if (current.version > spec.version) {
    throw new ConfigurationError(`${where}.version is ${spec.version} but ${spec.name} is at version ${current.version} (${current.index})`, `set ${where}.version to ${current.version} or more`);
  }
  const meta = await engine.getMappingMeta(current.index);
  if (meta?.sluice_hash === specHash(spec)) return { action: 'unchanged', index: current.index };
  const { mappings } = await engine.describeIndex(current.index);
  const diff = diffMappings(mappings, spec.mappings);
  if (diff.typeChanges.length > 0) {
    const changes = diff.typeChanges.map((change) => `${change.field} (${change.from} -> ${change.to})`).join(', ');
    throw new ConfigurationError(
      `${where}: changing the type of ${changes} needs a reindex, which the same version cannot do`,
      `raise ${where}.version to ${spec.version + 1} (add a migration for it if documents must change) and run sluice indexes migrate`,
      { context: { index: current.index, typeChanges: diff.typeChanges } },
    );
  }
  const properties = (spec.mappings?.properties ?? {}) as Record<string, unknown>;
  await engine.putMapping(current.index, { properties, _meta: { ...(meta ?? {}), sluice_hash: specHash(spec), sluice_version: spec.version } });
  return { action: 'fields-added', index: current.index, fields: diff.added };
}
