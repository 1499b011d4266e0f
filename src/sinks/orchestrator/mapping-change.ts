import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { DocumentDescriptor } from '../../descriptors/document-descriptor.js';
import type { SnapshotVersioning } from '../../descriptors/snapshot-version.js';
import type { SearchEngine } from '../engine/search-engine.js';
import { channelNames, type ChannelSpec } from './channel.js';
import type { ChannelRouter } from './channel-router.js';
import { inspectChannel } from './channel-state.js';
import { runFullSync } from './full-sync.js';
import { requireSyncModules, type SyncReport } from './orchestrator.js';

/** The primary channel of a document family (the same spec `sluice sync` uses). */
export function primaryChannel(descriptor: DocumentDescriptor, gcDeletes: string): ChannelSpec {
  return { name: descriptor.index, settings: descriptor.settings, mappings: descriptor.mappings, gcDeletes };
}

/**
 * The families whose channel is managed by sluice (its read alias exists) and whose settings or
 * mappings changed since the index behind the alias was made (hash differs). A plain index made
 * by the continuous sink before any sync has no hash and is never reported, nor is the alias of a
 * versioned index (`sluice indexes`: its mapping changes by migration). Refuses (exit code
 * 2, nothing changed) when a change needs modules the cluster lacks.
 */
export async function changedChannels(engine: SearchEngine, descriptors: readonly DocumentDescriptor[], gcDeletes: string, file?: string): Promise<DocumentDescriptor[]> {
  const changed: DocumentDescriptor[] = [];
  for (const descriptor of descriptors) {
    const state = await inspectChannel(engine, primaryChannel(descriptor, gcDeletes));
    if (!state.aliasExists || state.hashUnchanged) continue;
    // an alias of a versioned index (`sluice indexes`, its _meta has sluice_version) changes by migration, not here
    const meta = await engine.getMappingMeta(channelNames.readAlias(state.spec));
    if (meta?.sluice_version !== undefined) continue;
    changed.push(descriptor);
  }
  if (changed.length > 0) {
    const names = changed.map((descriptor) => `documents.${descriptor.name}`).join(', ');
    await requireSyncModules(engine, `the mapping change of ${names}${file === undefined ? '' : ` in ${file}`}`);
  }
  return changed;
}

/** Settings of {@link rebuildChannel}. */
export interface RebuildSettings {
  readonly descriptor: DocumentDescriptor;
  readonly gcDeletes: string;
  readonly pageSize: number;
  /** The continuous sink's writer: routes its writes for the channel to the old and the new index. */
  readonly router: ChannelRouter;
  readonly versioning?: SnapshotVersioning;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * Rebuilds a channel whose mapping changed, while the continuous sink keeps running: a full sync
 * into a new backing index (multiplex), during which the router sends the continuous sink's writes
 * for the channel to both the read alias (the old index) and the new index. At the cut-over (the
 * backfill complete) the router drains, the read and write aliases move to the new index in one
 * atomic change that removes the old one, and only then are the writes sent to the alias alone
 * (now the new index). So the index behind the read alias holds every write at every moment:
 * the continuous sink's reference lookups (`_sluice.refs`, for rows deleted or re-keyed by a
 * cascade) search it and must find documents written a moment before. Readers of the read alias
 * see the old, complete index until the change; every version order holds in both indexes (the
 * same external versions as everywhere else).
 */
export async function rebuildChannel(engine: SearchEngine, pool: Pool, settings: RebuildSettings): Promise<SyncReport> {
  const { descriptor, router, logger } = settings;
  const alias = channelNames.readAlias(primaryChannel(descriptor, settings.gcDeletes));
  try {
    return await runFullSync(engine, pool, {
      descriptor,
      gcDeletes: settings.gcDeletes,
      pageSize: settings.pageSize,
      logger,
      ...(settings.versioning === undefined ? {} : { versioning: settings.versioning }),
      ...(settings.signal === undefined ? {} : { signal: settings.signal }),
      hooks: {
        indexesReady: ({ primary }) => {
          if (primary.plan === 'new-index') {
            router.route(alias, [alias, primary.index]);
            logger.info({ document: descriptor.name, alias, from: primary.replaces, to: primary.index }, 'mapping change: backfilling the new index while changes flow to both');
          }
          return Promise.resolve();
        },
        // the new index holds every write made so far before readers see it; the old one still gets
        // every write until the alias moves (a write to the new index alone would be missed by a
        // reference lookup on the read alias made before the change)
        preSwap: async ({ primary }) => {
          if (primary.plan === 'new-index') await router.flush();
        },
        postSwap: () => {
          router.unroute(alias);
          return Promise.resolve();
        },
        postComplete: (report) => {
          logger.info({ document: descriptor.name, alias, index: report.indexes.primary, written: report.written, durationMs: report.durationMs }, 'mapping change: the read alias moved to the new index');
          return Promise.resolve();
        },
      },
    });
  } catch (error) {
    // the continuous sink goes on writing where the alias points
    router.unroute(alias);
    throw error;
  }
}
