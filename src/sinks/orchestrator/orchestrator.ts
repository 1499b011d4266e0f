import type { Logger } from 'pino';
import type { BuiltDocuments } from '../../descriptors/build-documents.js';
import { ConfigurationError, SluiceError } from '../../errors.js';
import { missingModules, REQUIRED_MODULES } from '../engine/capabilities.js';
import type { AliasAction, SearchEngine } from '../engine/search-engine.js';
import { channelBody, channelHash, channelNames, channelTemplate, LAST_UPDATED_FIELD, SYNC_FIELD_MAPPINGS, type ChannelSpec } from './channel.js';
import { inspectChannel, type ChannelState } from './channel-state.js';
import { writePage, type WriteCounts } from './channel-writer.js';
import { decideStrategy, type ChannelPlan, type SyncPlan, type SyncStrategy } from './strategy.js';
import { sweepUntouched } from './sweep.js';
import { TOUCH_SCRIPT, TOUCH_SCRIPT_ID } from './sync-scripts.js';

/** Hooks of a sync, called in this order. */
export interface SyncHooks {
  /** Before any channel is touched (pre-bootstrap tasks). */
  readonly preBootstrap?: () => Promise<void>;
  /** After the channels' indexes were prepared, before the first page is written (the indexes written during the sync). */
  readonly indexesReady?: (indexes: SyncIndexes) => Promise<void>;
  /** Before the atomic alias change (after the sweep): writers that target the new indexes directly drain here. */
  readonly preSwap?: (indexes: SyncIndexes) => Promise<void>;
  /** Right after the atomic alias change, before the replaced indexes are retired (deleted after {@link RETIRE_DELAY_MS}). */
  readonly postSwap?: (indexes: SyncIndexes) => Promise<void>;
  /** After the aliases moved, the channels were refreshed and the replaced indexes retired. */
  readonly postComplete?: (report: SyncReport) => Promise<void>;
}

/** Settings of one sync of a document family. */
export interface SyncSettings {
  readonly primary: ChannelSpec;
  readonly secondary?: ChannelSpec;
  /** The version (snapshot coordinate) at which the batch started: untouched documents below it are swept. */
  readonly fromVersion: number;
  readonly hooks?: SyncHooks;
  /** Which of `ids` have a root row now (the database): the sweep never deletes those. Without it, only versions protect them. */
  readonly rootsExisting?: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long a replaced backing index is kept after the alias change (default {@link RETIRE_DELAY_MS}). */
  readonly retireDelayMs?: number;
}

/** How long a replaced backing index outlives the alias change: searches that resolved the alias before it finish meanwhile. */
export const RETIRE_DELAY_MS = 5_000;

/** What a completed sync did. */
export interface SyncReport {
  readonly strategy: SyncStrategy;
  readonly plan: SyncPlan;
  readonly written: number;
  readonly unchanged: number;
  readonly superseded: number;
  /** Documents swept from the primary (plus the secondary, counted separately). */
  readonly deleted: number;
  readonly deletedSecondary: number;
  /** Documents `_reindex`ed into the secondary (reindex mode). */
  readonly reindexed: number;
  readonly batchMs: number;
  readonly durationMs: number;
  /** The index behind each read alias at the end. */
  readonly indexes: { readonly primary: string; readonly secondary?: string };
}

/** The index written (or reindexed into) for each channel during a sync, and the index it replaces. */
export interface SyncIndexes {
  readonly primary: { readonly index: string; readonly plan: ChannelPlan; readonly replaces: string | undefined };
  readonly secondary?: { readonly index: string; readonly plan: ChannelPlan; readonly replaces: string | undefined };
}

/** A channel during a sync: where it is written and what it replaces. */
interface ChannelTarget {
  readonly state: ChannelState;
  readonly plan: ChannelPlan;
  /** The index written (or reindexed into) during the sync. */
  readonly index: string;
}

/**
 * Refuses a cluster that lacks a module the orchestrator needs (Painless, _reindex), before anything
 * is touched: a ConfigurationError naming the module, the engine and the fix (exit code 2).
 */
export async function requireSyncModules(engine: SearchEngine, what = 'sluice sync'): Promise<void> {
  const capabilities = await engine.capabilities();
  const missing = missingModules(capabilities);
  if (missing.length === 0) return;
  const needs = missing.map((name) => `${name} (${REQUIRED_MODULES[name] ?? ''})`).join(', ');
  throw new ConfigurationError(
    `${what} needs the ${missing.join(' and ')} module${missing.length > 1 ? 's' : ''}, which ${capabilities.engine} ${capabilities.version} lacks: ${needs}; nothing was changed`,
    capabilities.engine === 'elasticsearch'
      ? 'use a full Elasticsearch distribution (the official archive or Docker image ships lang-painless and reindex), or put modules/lang-painless and modules/reindex into the node (npm run stack -- up copies them from shared/elasticsearch/<version>/modules/), or point elasticsearch.node at an OpenSearch node'
      : 'install the missing modules on every node (OpenSearch ships them in its full distribution)',
    { context: { engine: capabilities.engine, version: capabilities.version, missing } },
  );
}

/**
 * The dual-channel orchestrator of a full sync (see README "Full sync"). `start` checks the
 * modules, runs the pre-bootstrap hook, stores the scripts, inspects both channels, decides the
 * strategy, puts the templates and creates the new backing indexes; `write` writes one built page;
 * `complete` drains, refreshes, reindexes into the secondary (reindex mode), sweeps untouched
 * documents, swaps the aliases atomically, refreshes and runs the post-complete hook.
 */
export class SyncSession {
  private readonly counts: WriteCounts = { written: 0, unchanged: 0, superseded: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly engine: SearchEngine,
    private readonly settings: SyncSettings,
    readonly plan: SyncPlan,
    private readonly primary: ChannelTarget,
    private readonly secondary: ChannelTarget | undefined,
    /** The batch timestamp, fixed at the start (ms since epoch). */
    readonly batchMs: number,
    private readonly startedMs: number,
  ) {}

  /** Starts a sync (see the class comment). */
  static async start(engine: SearchEngine, settings: SyncSettings): Promise<SyncSession> {
    const now = settings.now ?? Date.now;
    const startedMs = now();
    await requireSyncModules(engine);
    await settings.hooks?.preBootstrap?.();
    await engine.putStoredScript(TOUCH_SCRIPT_ID, TOUCH_SCRIPT, 'painless');
    const primaryState = await inspectChannel(engine, settings.primary);
    const secondaryState = settings.secondary === undefined ? undefined : await inspectChannel(engine, settings.secondary);
    const plan = decideStrategy(primaryState, secondaryState);
    // a fresh timestamp per sync; two channels created in the same millisecond still differ by name
    const batchMs = now();
    const prepare = async (state: ChannelState, channelPlan: ChannelPlan): Promise<ChannelTarget> => {
      await engine.putIndexTemplate(channelNames.template(state.spec), channelTemplate(state.spec));
      if (channelPlan !== 'new-index') {
        if (state.currentIndex === undefined) throw new SluiceError(`channel ${state.spec.name} has no index behind its alias`);
        // a versioned index (sluice indexes) was not made from the channel's template: it gets the sync's bookkeeping fields
        if (state.versionedIndex === true) await engine.putMapping(state.currentIndex, { properties: SYNC_FIELD_MAPPINGS });
        return { state, plan: channelPlan, index: state.currentIndex };
      }
      const index = channelNames.backingIndex(state.spec, new Date(batchMs));
      const body = channelBody(state.spec);
      await engine.createIndex(index, { settings: body.settings, mappings: { ...body.mappings, _meta: { sluice_hash: channelHash(state.spec) } } });
      return { state, plan: channelPlan, index };
    };
    const primary = await prepare(primaryState, plan.primary);
    const secondary = secondaryState === undefined || plan.secondary === undefined ? undefined : await prepare(secondaryState, plan.secondary);
    settings.logger.info(
      { strategy: plan.strategy, primary: { index: primary.index, plan: primary.plan }, secondary: secondary === undefined ? undefined : { index: secondary.index, plan: secondary.plan }, batchMs },
      'full sync started',
    );
    const session = new SyncSession(engine, settings, plan, primary, secondary, batchMs, startedMs);
    await settings.hooks?.indexesReady?.(session.indexes);
    return session;
  }

  /** Where each channel is written during this sync. */
  get indexes(): SyncIndexes {
    const describe = (target: ChannelTarget): SyncIndexes['primary'] => ({
      index: target.index,
      plan: target.plan,
      replaces: target.state.concreteIndex ? channelNames.readAlias(target.state.spec) : target.state.currentIndex,
    });
    return { primary: describe(this.primary), ...(this.secondary === undefined ? {} : { secondary: describe(this.secondary) }) };
  }

  /** The channels written during the sync (reindex mode: the primary only). */
  private writtenTargets(): ChannelTarget[] {
    return [this.primary, ...(this.secondary !== undefined && this.secondary.plan !== 'reindexed-at-completion' ? [this.secondary] : [])];
  }

  /** Writes one page of built documents to every written channel; counts are the primary's. */
  async write(page: BuiltDocuments, signal?: AbortSignal): Promise<WriteCounts> {
    const targets = this.writtenTargets();
    const options = { version: page.version, batchMs: this.batchMs, ...(signal === undefined ? {} : { signal }) };
    const work = Promise.all(targets.map((target) => writePage(this.engine, target.index, page.documents, { ...options, fresh: target.plan === 'new-index' })));
    this.inFlight.add(work);
    try {
      const [counts] = await work;
      if (counts !== undefined) {
        this.counts.written += counts.written;
        this.counts.unchanged += counts.unchanged;
        this.counts.superseded += counts.superseded;
      }
      return counts ?? { written: 0, unchanged: 0, superseded: 0 };
    } finally {
      this.inFlight.delete(work);
    }
  }

  /** Completes the sync (see the class comment) and reports what it did. */
  async complete(): Promise<SyncReport> {
    const { engine, settings } = this;
    const logger = settings.logger;
    await Promise.allSettled([...this.inFlight]);
    for (const target of [this.primary, this.secondary]) if (target !== undefined) await engine.refresh(target.index);
    let reindexed = 0;
    let deletedSecondary = 0;
    const fromVersion = settings.fromVersion;
    if (this.secondary !== undefined && this.secondary.plan === 'reindexed-at-completion') {
      const changed = await engine.reindex({
        source: { index: this.primary.index, query: { range: { [LAST_UPDATED_FIELD]: { gte: this.batchMs } } } },
        dest: { index: this.secondary.index, version_type: 'external' },
        conflicts: 'proceed',
      });
      reindexed = changed.created + changed.updated;
      logger.info({ reindexed, index: this.secondary.index }, 'secondary channel reindexed');
    }
    let deleted = 0;
    const reindexedSecondary = this.secondary?.plan === 'reindexed-at-completion' ? [this.secondary.index] : [];
    for (const target of this.writtenTargets()) {
      if (target.plan !== 'in-place') continue;
      const swept = await sweepUntouched(engine, target.index, {
        batchMs: this.batchMs,
        fromVersion,
        ...(target === this.primary ? { also: reindexedSecondary } : {}),
        ...(settings.rootsExisting === undefined ? {} : { rootsExisting: settings.rootsExisting }),
      });
      logger.info({ index: target.index, deleted: swept.deleted.length, kept: swept.kept }, 'untouched documents swept');
      if (target === this.primary) {
        deleted = swept.deleted.length;
        deletedSecondary += swept.alsoDeleted;
      } else {
        deletedSecondary += swept.deleted.length;
      }
    }
    await settings.hooks?.preSwap?.(this.indexes);
    const swap = this.aliasActions();
    if (swap.actions.length > 0) await engine.updateAliases(swap.actions);
    await settings.hooks?.postSwap?.(this.indexes);
    for (const target of [this.primary, this.secondary]) if (target !== undefined) await engine.refresh(channelNames.readAlias(target.state.spec));
    await this.retire(swap.retired);
    const report: SyncReport = {
      strategy: this.plan.strategy,
      plan: this.plan,
      ...this.counts,
      deleted,
      deletedSecondary,
      reindexed,
      batchMs: this.batchMs,
      durationMs: (settings.now ?? Date.now)() - this.startedMs,
      indexes: { primary: this.primary.index, ...(this.secondary === undefined ? {} : { secondary: this.secondary.index }) },
    };
    logger.info(report, 'full sync completed');
    await settings.hooks?.postComplete?.(report);
    return report;
  }

  /**
   * One atomic change: read and write aliases onto each channel's index. A plain index holding the
   * read alias's name is removed in the same change (an alias cannot take its name otherwise); a
   * replaced backing index only loses its aliases here and is deleted after
   * {@link RETIRE_DELAY_MS} (see `retire`), so that a search that resolved the alias just before
   * the change still finds its shards.
   */
  private aliasActions(): { actions: AliasAction[]; retired: string[] } {
    const actions: AliasAction[] = [];
    const retired: string[] = [];
    for (const target of [this.primary, this.secondary]) {
      // the aliases of a versioned index belong to `sluice indexes` (it moves them on a migration)
      if (target === undefined || target.state.versionedIndex === true) continue;
      const { spec, currentIndex, concreteIndex, writeIndexes } = target.state;
      const read = channelNames.readAlias(spec);
      let removed: string | undefined;
      if (target.plan === 'new-index') {
        if (concreteIndex) {
          removed = read;
          actions.push({ remove_index: { index: read } });
        } else if (currentIndex !== undefined) {
          removed = currentIndex;
          actions.push({ remove: { index: currentIndex, alias: read } });
          if (writeIndexes.includes(currentIndex)) actions.push({ remove: { index: currentIndex, alias: channelNames.writeAlias(spec) } });
          retired.push(currentIndex);
        }
      }
      // an index left holding the write alias (its read alias was removed by hand) gives it up
      for (const index of writeIndexes) {
        if (index !== target.index && index !== removed) actions.push({ remove: { index, alias: channelNames.writeAlias(spec) } });
      }
      actions.push({ add: { index: target.index, alias: read } });
      actions.push({ add: { index: target.index, alias: channelNames.writeAlias(spec), is_write_index: true } });
    }
    return { actions, retired };
  }

  /** Deletes the replaced backing indexes once searches that resolved the aliases before the change are done. */
  private async retire(indexes: readonly string[]): Promise<void> {
    if (indexes.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, this.settings.retireDelayMs ?? RETIRE_DELAY_MS));
    for (const index of indexes) await this.engine.deleteIndex(index);
    this.settings.logger.info({ indexes }, 'replaced indexes deleted');
  }
}
