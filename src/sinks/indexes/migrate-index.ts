import { ConfigurationError, SluiceError } from '../../errors.js';
import { EngineError } from '../engine/engine-error.js';
import type { AliasAction, ReindexRequest, SearchEngine, TaskStatus } from '../engine/search-engine.js';
import { requireSyncModules } from '../orchestrator/orchestrator.js';
import { IndexLock, type LockOptions } from './index-lock.js';
import { compileMigration } from './migration-script.js';
import { backingBody, currentVersion, ensureVersionedIndex, versionedNames, type VersionedIndexSpec } from './versioned-index.js';

/** The phases of a migration, in order. */
export type MigrationPhase = 'copy' | 'catch-up' | 'switch' | 'done';

/** Progress of a migration's copy: documents copied of total, rate and estimated time left. */
export interface MigrationProgress {
  readonly phase: MigrationPhase;
  readonly copied: number;
  readonly total: number;
  /** Documents per second since the pass started. */
  readonly rate: number;
  /** Estimated milliseconds left in the pass (undefined until the rate is known). */
  readonly etaMs: number | undefined;
}

/** What a migration did. */
export interface MigrationReport {
  readonly alias: string;
  readonly outcome: 'migrated' | 'created' | 'up-to-date';
  readonly from?: number;
  readonly to: number;
  readonly index: string;
  /** Documents copied by the first pass and by the catch-up passes. */
  readonly copied: number;
  readonly caughtUp: number;
  /** Documents whose custom step failed, now in the error index. */
  readonly failed: number;
  readonly errorIndex?: string;
  /** The migration continued one that a stopped process had begun. */
  readonly resumed: boolean;
  readonly oldIndexDeleted: boolean;
}

/** Options of {@link migrateVersionedIndex}. */
export interface MigrateOptions {
  readonly lock?: LockOptions;
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** Documents per batch of the copy (default 1000). */
  readonly batchSize?: number;
  /** How far before a pass began the next catch-up pass starts (clock skew and refresh margin); default 5 s. */
  readonly catchUpMarginMs?: number;
  readonly pollMs?: number;
  readonly now?: () => number;
  /** Called after each phase is saved (tests stop a process at a chosen point). */
  readonly onPhase?: (phase: MigrationPhase, state: MigrationState) => void;
}

/** The state of a migration kept in its lock document, from which a later process resumes. */
export interface MigrationState {
  readonly from: number;
  readonly to: number;
  readonly phase: MigrationPhase;
  /** When the first pass began (ms since epoch). */
  readonly startedAt: number;
  /** When the catch-up pass began. */
  readonly catchUpAt?: number;
  /** Without a timestampField on a one-shard index: the first `_seq_no` not yet written when the first (and the catch-up) pass began. */
  readonly startSeqNo?: number;
  readonly catchUpSeqNo?: number;
  readonly taskId?: string;
}

/** The lock resource of an alias's migrations. */
export function migrationLockId(alias: string): string {
  return `migrate:${alias}`;
}

function asState(value: Readonly<Record<string, unknown>> | undefined): MigrationState | undefined {
  if (value === undefined || typeof value.from !== 'number' || typeof value.to !== 'number' || typeof value.phase !== 'string') return undefined;
  return value as unknown as MigrationState;
}

/**
 * Migrates the alias `spec.name` to `spec.version`: under the alias's lock (a lock document with
 * a TTL, renewed while it runs), creates `name-v<target>` and `name-v<target>-error`, reindexes
 * the current index with the steps of every version in (current, target] combined into one
 * script (documents whose custom step throws go to the error index), copies again what was
 * written during the copy (range on `timestampField`; without one, on `_seq_no` for a one-shard
 * index, else everything again), switches the alias atomically, copies once
 * more what reached the old index before the switch, and deletes the old index unless it is kept.
 * Each phase is saved in the lock document: a process that finds an expired lock with an
 * unfinished migration (its holder was killed) resumes it; every pass is idempotent (external
 * versions, conflicts proceed). Refuses (ConfigurationError, nothing touched) a cluster without
 * lang-painless or reindex. Creates the index when the alias does not exist yet.
 */
export async function migrateVersionedIndex(engine: SearchEngine, spec: VersionedIndexSpec, options: MigrateOptions = {}): Promise<MigrationReport> {
  await requireSyncModules(engine, 'sluice indexes migrate');
  const now = options.now ?? Date.now;
  const lock = await IndexLock.acquire(engine, migrationLockId(spec.name), { ...options.lock, ...(options.now === undefined ? {} : { now: options.now }) });
  try {
    const saved = asState(lock.previousState);
    const resumed = saved !== undefined && saved.phase !== 'done';
    const current = await currentVersion(engine, spec.name);
    let state: MigrationState;
    if (resumed) {
      if (saved.to !== spec.version) {
        throw new SluiceError(`a migration of ${spec.name} from v${saved.from} to v${saved.to} was interrupted; it must finish before migrating to v${spec.version}`, {
          retriable: false,
          context: { fix: `set the version back to ${saved.to}, run sluice indexes migrate, then raise it` },
        });
      }
      state = saved;
    } else {
      if (current === undefined) {
        const created = await ensureVersionedIndex(engine, spec);
        await lock.release(null);
        return { alias: spec.name, outcome: 'created', to: spec.version, index: created.index, copied: 0, caughtUp: 0, failed: 0, resumed: false, oldIndexDeleted: false };
      }
      if (current.version >= spec.version) {
        const outcome = await ensureVersionedIndex(engine, spec);
        await lock.release(null);
        return { alias: spec.name, outcome: 'up-to-date', to: spec.version, index: outcome.index, copied: 0, caughtUp: 0, failed: 0, resumed: false, oldIndexDeleted: false };
      }
      state = { from: current.version, to: spec.version, phase: 'copy', startedAt: now() };
      await lock.save({ ...state });
    }
    const report = await runPhases(engine, spec, lock, state, resumed, options);
    await lock.release(null);
    return report;
  } catch (error) {
    // keep the saved state (the next run resumes from it), unless the migration was refused
    await lock.release(error instanceof ConfigurationError ? null : undefined).catch(() => undefined);
    throw error;
  }
}

async function runPhases(engine: SearchEngine, spec: VersionedIndexSpec, lock: IndexLock, initial: MigrationState, resumed: boolean, options: MigrateOptions): Promise<MigrationReport> {
  const now = options.now ?? Date.now;
  const margin = options.catchUpMarginMs ?? 5_000;
  const fromIndex = versionedNames.backing(spec.name, initial.from);
  const toIndex = versionedNames.backing(spec.name, initial.to);
  const errorIndex = versionedNames.error(spec.name, initial.to);
  const script = compileMigration(spec.migrations ?? {}, initial.from, initial.to, errorIndex, fromIndex);
  let state = initial;
  const save = async (next: MigrationState): Promise<void> => {
    state = next;
    await lock.save({ ...next });
    options.onPhase?.(next.phase, next);
  };
  const pass = async (query: Readonly<Record<string, unknown>> | undefined, phase: MigrationPhase): Promise<number> => {
    const request: ReindexRequest = {
      source: { index: fromIndex, size: options.batchSize ?? 1000, ...(query === undefined ? {} : { query }) },
      dest: { index: toIndex, version_type: 'external' },
      conflicts: 'proceed',
      ...(script === undefined ? {} : { script }),
    };
    const total = await engine.count(fromIndex, query);
    const taskId = await engine.startReindex(request);
    await save({ ...state, phase, taskId });
    const result = await followTask(engine, taskId, phase, total, lock.signal, options);
    return result.created + result.updated + result.versionConflicts;
  };

  if (resumed && state.taskId !== undefined) {
    // the killed holder's reindex task goes on in the cluster: let it finish before copying again
    // (a task that is gone, or failed, is simply run again below)
    await followTask(engine, state.taskId, state.phase, 0, lock.signal, options).catch((error: unknown) => {
      if (error instanceof EngineError && error.aborted) throw error;
    });
  }
  let copied = 0;
  let caughtUp = 0;
  if (state.phase === 'copy') {
    await engine.createIndex(toIndex, await carriedOver(engine, fromIndex, backingBody(spec, { sluice_migrated_from: initial.from })));
    await engine.createIndex(errorIndex, {
      mappings: { dynamic: false, properties: { error: { type: 'text' }, step: { type: 'keyword' }, version: { type: 'integer' }, source_index: { type: 'keyword' }, failed_at: { type: 'date', format: 'epoch_millis' }, document: { type: 'object', enabled: false } } },
    });
    await engine.refresh(fromIndex);
    if (state.startSeqNo === undefined) await save({ ...state, ...withSeqNo('startSeqNo', await nextSeqNo(engine, fromIndex)) });
    try {
      copied = await pass(undefined, 'copy');
    } catch (error) {
      if (!(error instanceof EngineError) || error.type !== 'script_exception' || !/compile error/.test(error.message)) throw error;
      // a step that does not compile: undo what this migration made, so the fixed file starts afresh
      await engine.deleteIndex(toIndex);
      await engine.deleteIndex(errorIndex);
      throw new ConfigurationError(
        `a migration step of ${spec.name} (versions ${initial.from + 1} to ${initial.to}) is not valid Painless: ${error.message}; ${fromIndex} is unchanged and still behind the alias`,
        `correct the painless steps of indexes.${spec.name}.migrations and run sluice indexes migrate again`,
        { cause: error },
      );
    }
    await save({ ...state, phase: 'catch-up', catchUpAt: now(), ...withSeqNo('catchUpSeqNo', await nextSeqNo(engine, fromIndex)) });
  }
  if (state.phase === 'catch-up') {
    await engine.refresh(fromIndex);
    caughtUp += await pass(changedSince(spec, state.startedAt - margin, state.startSeqNo), 'catch-up');
    await save({ ...state, phase: 'switch', catchUpAt: state.catchUpAt ?? now() });
  }
  let oldIndexDeleted = false;
  if (state.phase === 'switch') {
    const behind = await engine.getAlias(spec.name);
    if (!(toIndex in behind) || Object.keys(behind).length > 1) {
      const actions: AliasAction[] = [
        ...Object.keys(behind).filter((index) => index !== toIndex).map((index) => ({ remove: { index, alias: spec.name } })),
        { add: { index: toIndex, alias: spec.name, is_write_index: true } },
      ];
      await engine.updateAliases(actions);
    }
    if (await engine.indexExists(fromIndex)) {
      // writes that reached the old index between the catch-up pass and the switch
      await engine.refresh(fromIndex);
      caughtUp += await pass(changedSince(spec, (state.catchUpAt ?? state.startedAt) - margin, state.catchUpSeqNo ?? state.startSeqNo), 'switch');
    }
    if (spec.keepOldIndex === false) {
      await engine.deleteIndex(fromIndex);
      oldIndexDeleted = true;
    }
    await save({ ...state, phase: 'done' });
  }
  await engine.refresh(toIndex);
  let failed = 0;
  if (await engine.indexExists(errorIndex)) {
    await engine.refresh(errorIndex);
    failed = await engine.count(errorIndex);
    // an empty error index is noise in status; a failure makes the next migration's error index anew
    if (failed === 0) await engine.deleteIndex(errorIndex);
  }
  return {
    alias: spec.name,
    outcome: 'migrated',
    from: initial.from,
    to: initial.to,
    index: toIndex,
    copied,
    caughtUp,
    failed,
    ...(failed === 0 ? {} : { errorIndex }),
    resumed,
    oldIndexDeleted,
  };
}

async function followTask(engine: SearchEngine, taskId: string, phase: MigrationPhase, expected: number, signal: AbortSignal, options: MigrateOptions) {
  const now = options.now ?? Date.now;
  const started = now();
  return engine.waitForTask(taskId, {
    pollMs: options.pollMs ?? 500,
    signal,
    onProgress: (status: TaskStatus) => {
      const copied = status.progress.created + status.progress.updated;
      const total = Math.max(status.progress.total, expected);
      const seconds = (now() - started) / 1000;
      const rate = seconds > 0 ? copied / seconds : 0;
      options.onProgress?.({ phase, copied, total, rate, etaMs: rate > 0 ? ((total - copied) / rate) * 1000 : undefined });
    },
  });
}

/**
 * The new version's body plus what the document sink keeps on the old index and the spec does
 * not name: the `_sluice` bookkeeping mapping and `index.gc_deletes` (how long deletes' versions
 * are remembered), so the running pipeline's versioned writes behave the same after the switch.
 */
async function carriedOver(
  engine: SearchEngine,
  fromIndex: string,
  body: { settings: Record<string, unknown>; mappings: Record<string, unknown> },
): Promise<{ settings: Record<string, unknown>; mappings: Record<string, unknown> }> {
  const old = await engine.describeIndex(fromIndex);
  const oldProperties = (old.mappings.properties ?? {}) as Record<string, unknown>;
  const properties = { ...((body.mappings.properties as Record<string, unknown> | undefined) ?? {}) };
  if (oldProperties._sluice !== undefined && properties._sluice === undefined) properties._sluice = oldProperties._sluice;
  const gcDeletes = old.settings.gc_deletes;
  const settings = { ...body.settings };
  if (gcDeletes !== undefined && settings['index.gc_deletes'] === undefined) settings['index.gc_deletes'] = gcDeletes;
  return { settings, mappings: { ...body.mappings, properties } };
}

/** A `_seq_no` field of the state, left out when there is none (-1: several shards). */
function withSeqNo(key: 'startSeqNo' | 'catchUpSeqNo', seqNo: number): Partial<MigrationState> {
  return seqNo < 0 ? {} : { [key]: seqNo };
}

/**
 * The first sequence number the next write to a one-shard index gets (its highest `_seq_no` + 1,
 * 0 when empty); -1 for an index of several shards, whose sequence numbers are per shard.
 */
async function nextSeqNo(engine: SearchEngine, index: string): Promise<number> {
  const { settings } = await engine.describeIndex(index);
  if (Number(settings.number_of_shards ?? 1) !== 1) return -1;
  const { hits } = await engine.search({ index, size: 1, sort: [{ _seq_no: 'desc' }], _source: false });
  const top = hits[0]?.sort?.[0];
  return typeof top === 'number' ? top + 1 : 0;
}

/**
 * The documents of the old index written since a point: by `timestampField` when the spec has
 * one, else by `_seq_no` (one-shard indexes), else all of them (a full second pass; unchanged
 * documents are skipped as version conflicts).
 */
function changedSince(spec: VersionedIndexSpec, sinceMs: number, sinceSeqNo: number | undefined): Readonly<Record<string, unknown>> | undefined {
  if (spec.timestampField !== undefined) return { range: { [spec.timestampField]: { gte: sinceMs, format: 'epoch_millis' } } };
  if (sinceSeqNo !== undefined) return { range: { _seq_no: { gte: sinceSeqNo } } };
  return undefined;
}
