import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import { buildDocuments } from '../../descriptors/build-documents.js';
import type { DocumentDescriptor } from '../../descriptors/document-descriptor.js';
import { beginVersionedSnapshot, type SnapshotVersioning } from '../../descriptors/snapshot-version.js';
import { DEFAULT_RETRY_POLICY, retry } from '../../retry.js';
import type { SearchEngine } from '../engine/search-engine.js';
import type { ChannelSpec } from './channel.js';
import { SyncSession, type SyncHooks, type SyncReport } from './orchestrator.js';
import { forEachPageInFlight } from './pages-in-flight.js';
import { countRoots, existingRoots, rootIdPages } from './root-ids.js';

/** Progress of a full sync, reported after each page. */
export interface SyncProgress {
  readonly document: string;
  readonly done: number;
  /** Roots counted at the start (an estimate: rows may come and go meanwhile). */
  readonly total: number;
  readonly written: number;
  readonly unchanged: number;
}

/** Pages a full sync builds and writes at once unless told otherwise: one building while others are written. */
export const DEFAULT_SYNC_PAGES_IN_FLIGHT = 3;

/** Settings of {@link runFullSync}. */
export interface FullSyncSettings {
  readonly descriptor: DocumentDescriptor;
  /** The secondary channel, if the family has one. */
  readonly secondary?: ChannelSpec;
  readonly gcDeletes: string;
  /** Root ids per page (key page and build batch). */
  readonly pageSize: number;
  /** Pages built and written at once (default {@link DEFAULT_SYNC_PAGES_IN_FLIGHT}): builds overlap writes. */
  readonly pagesInFlight?: number;
  readonly versioning?: SnapshotVersioning;
  readonly hooks?: SyncHooks;
  readonly onProgress?: (progress: SyncProgress) => void;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
}

/**
 * A full sync of one document family: the batch version is taken from a snapshot first, then every
 * root id is enumerated in key pages, each page is built in one consistent snapshot with the
 * continuous sink's builder and versioning, and written through the orchestrator, which completes
 * (reindex, sweep, alias swap) at the end.
 */
export async function runFullSync(engine: SearchEngine, pool: Pool, settings: FullSyncSettings): Promise<SyncReport> {
  const { descriptor, logger } = settings;
  const primary: ChannelSpec = { name: descriptor.index, settings: descriptor.settings, mappings: descriptor.mappings, gcDeletes: settings.gcDeletes };
  const fromVersion = await withConnection(pool, async (connection) => {
    const snapshot = await beginVersionedSnapshot(connection, settings.versioning);
    await connection.query('COMMIT');
    return snapshot.version;
  });
  const session = await SyncSession.start(engine, {
    primary,
    ...(settings.secondary === undefined ? {} : { secondary: settings.secondary }),
    fromVersion,
    rootsExisting: (ids) => existingRoots(pool, descriptor, ids),
    logger,
    ...(settings.hooks === undefined ? {} : { hooks: settings.hooks }),
  });
  const total = await countRoots(pool, descriptor);
  const progress = { done: 0, written: 0, unchanged: 0 };
  const syncPage = async (ids: readonly string[]): Promise<void> => {
    const page = await retry(() => withConnection(pool, (connection) => buildDocuments(connection, descriptor, ids, settings.versioning)), {
      policy: DEFAULT_RETRY_POLICY,
      what: `building ${descriptor.name} documents`,
      ...(settings.signal === undefined ? {} : { signal: settings.signal }),
    });
    const counts = await session.write(page, settings.signal);
    progress.done += ids.length;
    progress.written += counts.written;
    progress.unchanged += counts.unchanged;
    settings.onProgress?.({ document: descriptor.name, ...progress, total: Math.max(total, progress.done) });
  };
  await forEachPageInFlight(rootIdPages(pool, descriptor, settings.pageSize), settings.pagesInFlight ?? DEFAULT_SYNC_PAGES_IN_FLIGHT, syncPage, settings.signal);
  return session.complete();
}

async function withConnection<T>(pool: Pool, work: (connection: Parameters<typeof buildDocuments>[0]) => Promise<T>): Promise<T> {
  const pooled = await pool.getConnection();
  try {
    // a PoolConnection is a Connection for every query the builder makes
    return await work(pooled);
  } finally {
    pooled.release();
  }
}
