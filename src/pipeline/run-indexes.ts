import { durationMs, type PipelineConfig } from '../config/pipeline-config.js';
import type { ManagedIndexConfig } from '../config/indexes-schema.js';
import { loadPipelineConfig } from '../config/load-pipeline-config.js';
import { ConfigurationError } from '../errors.js';
import { connectEngine } from '../sinks/engine/connect.js';
import type { SearchEngine } from '../sinks/engine/search-engine.js';
import { partitionedStatus, versionedStatus, type ManagedIndexStatus } from '../sinks/indexes/index-status.js';
import { migrateVersionedIndex, type MigrationProgress, type MigrationReport } from '../sinks/indexes/migrate-index.js';
import type { MigrationStep } from '../sinks/indexes/migration-script.js';
import { PartitionedIndex, type MaintenanceReport, type PartitionedIndexSpec } from '../sinks/indexes/partitioned-index.js';
import { ensureVersionedIndex, type EnsureOutcome, type VersionedIndexSpec } from '../sinks/indexes/versioned-index.js';
import { requireSyncModules } from '../sinks/orchestrator/orchestrator.js';
import { engineConnection } from './engine-connection.js';

/** Options of `sluice indexes <command>`. */
export interface IndexesCommandOptions {
  readonly config: string;
  /** Only this managed index. */
  readonly index?: string;
  readonly json?: boolean;
  /** migrate: wait up to this many seconds for another process's migration instead of refusing. */
  readonly wait?: string;
}

/** The versioned index spec of a managed index of the pipeline file. */
export function versionedSpec(name: string, config: ManagedIndexConfig): VersionedIndexSpec {
  const migrations: Record<number, readonly MigrationStep[]> = {};
  for (const [version, steps] of Object.entries(config.migrations ?? {})) migrations[Number(version)] = steps;
  return {
    name,
    version: config.version,
    settings: config.settings,
    mappings: config.mappings,
    migrations,
    timestampField: config.timestampField,
    keepOldIndex: config.keepOldIndex,
  };
}

/** The partitioned index spec of a managed index with `partition`. */
export function partitionedSpec(name: string, config: ManagedIndexConfig & { partition: 'daily' | 'monthly' }): PartitionedIndexSpec {
  return {
    name,
    version: config.version,
    interval: config.partition,
    timestampField: config.timestampField ?? '@timestamp',
    maxAgeMs: config.maxAge === undefined ? undefined : durationMs(config.maxAge),
    windows: Object.fromEntries(Object.entries(config.windows ?? {}).map(([window, duration]) => [window, durationMs(duration)])),
    settings: config.settings,
    mappings: config.mappings,
  };
}

function selected(config: PipelineConfig, options: IndexesCommandOptions): Array<[string, ManagedIndexConfig]> {
  const entries = Object.entries(config.indexes);
  if (entries.length === 0) throw new ConfigurationError(`${options.config}: indexes: defines no index`, 'add an indexes section (see README, "Index management")');
  if (options.index === undefined) return entries;
  const found = entries.filter(([name]) => name === options.index);
  if (found.length === 0) throw new ConfigurationError(`${options.config}: indexes.${options.index} does not exist`, `use one of: ${entries.map(([name]) => name).join(', ')}`);
  return found;
}

function isPartitioned(config: ManagedIndexConfig): config is ManagedIndexConfig & { partition: 'daily' | 'monthly' } {
  return config.partition !== undefined;
}

async function withEngine<T>(options: IndexesCommandOptions, work: (engine: SearchEngine, config: PipelineConfig) => Promise<T>): Promise<T> {
  const config = loadPipelineConfig(options.config);
  selected(config, options);
  const engine = await connectEngine(engineConnection(config));
  try {
    return await work(engine, config);
  } finally {
    await engine.close();
  }
}

/** `sluice indexes status`: every managed index's state. */
export function indexesStatus(options: IndexesCommandOptions, now: () => number = Date.now): Promise<ManagedIndexStatus[]> {
  return withEngine(options, async (engine, config) => {
    const statuses: ManagedIndexStatus[] = [];
    for (const [name, index] of selected(config, options)) {
      statuses.push(isPartitioned(index) ? await partitionedStatus(engine, partitionedSpec(name, index), now) : await versionedStatus(engine, versionedSpec(name, index), now()));
    }
    return statuses;
  });
}

/**
 * `sluice indexes migrate`: refuses (ConfigurationError, exit 2) a cluster without lang-painless
 * or reindex before touching anything, then migrates every versioned index whose configured
 * version is above its current one (creating those that do not exist yet).
 */
export function indexesMigrate(options: IndexesCommandOptions, onProgress?: (name: string, progress: MigrationProgress) => void): Promise<MigrationReport[]> {
  return withEngine(options, async (engine, config) => {
    await requireSyncModules(engine, 'sluice indexes migrate');
    const reports: MigrationReport[] = [];
    const waitMs = options.wait === undefined ? 0 : Number(options.wait) * 1000;
    if (!Number.isFinite(waitMs) || waitMs < 0) throw new ConfigurationError(`--wait ${options.wait ?? ''} is not a number of seconds`, 'give --wait a number of seconds, e.g. --wait 600');
    for (const [name, index] of selected(config, options)) {
      if (isPartitioned(index)) continue;
      reports.push(await migrateVersionedIndex(engine, versionedSpec(name, index), { lock: { waitMs }, ...(onProgress === undefined ? {} : { onProgress: (progress) => onProgress(name, progress) }) }));
    }
    return reports;
  });
}

/** What `sluice indexes maintain` did to one index. */
export type MaintainOutcome = { readonly name: string; readonly versioned: EnsureOutcome } | { readonly name: string; readonly partitioned: MaintenanceReport };

/**
 * `sluice indexes maintain`: versioned indexes are created or get their new fields (a type change
 * is refused; a raised version is left to migrate); partitioned indexes lose their expired
 * partitions and get their window aliases moved to the current partitions.
 */
export function indexesMaintain(options: IndexesCommandOptions, now: () => number = Date.now): Promise<MaintainOutcome[]> {
  return withEngine(options, async (engine, config) => {
    const outcomes: MaintainOutcome[] = [];
    for (const [name, index] of selected(config, options)) {
      if (isPartitioned(index)) outcomes.push({ name, partitioned: await new PartitionedIndex(engine, partitionedSpec(name, index), { now }).maintain() });
      else outcomes.push({ name, versioned: await ensureVersionedIndex(engine, versionedSpec(name, index), `${options.config}: indexes.${name}`) });
    }
    return outcomes;
  });
}
