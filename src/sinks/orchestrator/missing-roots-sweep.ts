import type { Pool } from 'mysql2/promise';
import type { DocumentDescriptor } from '../../descriptors/document-descriptor.js';
import type { SnapshotVersioning } from '../../descriptors/snapshot-version.js';
import type { SearchEngine } from '../engine/search-engine.js';
import type { DocumentWriter, WriteOutcome } from '../writer.js';
import { missingRootsAt } from './root-ids.js';

/** What a {@link sweepMissingRoots} did. */
export interface MissingRootsSweep {
  readonly scanned: number;
  readonly deleted: number;
  /** Deletes refused because the index holds a newer build (the root came back meanwhile). */
  readonly superseded: number;
}

/**
 * Deletes every document of `descriptor`'s index whose root row does not exist: the index's ids
 * are scanned in pages, each page is checked in one versioned snapshot, and the missing ones are
 * deleted through `writer` with that snapshot's version (`external_gte`, like any delete of the
 * continuous sink), so a newer build is never removed and an older one cannot come back.
 *
 * Why: a capture snapshot (the first one, or one started again after a crash) reads the tables
 * as they are at its start; a row deleted before that point and after the last change the
 * pipeline streamed produces no event at all, so no build ever deletes its document (one written
 * by `sluice sync`, or by the sink from an earlier, interrupted snapshot). The sink runs this
 * sweep when it has consumed the end of a capture snapshot, before that page's offsets are
 * committed (a crash repeats it).
 */
export async function sweepMissingRoots(
  engine: SearchEngine,
  pool: Pool,
  writer: DocumentWriter,
  descriptor: DocumentDescriptor,
  options: { readonly versioning?: SnapshotVersioning; readonly pageSize?: number } = {},
): Promise<MissingRootsSweep> {
  let scanned = 0;
  let deleted = 0;
  let superseded = 0;
  if (!(await engine.indexExists(descriptor.index))) return { scanned, deleted, superseded };
  await engine.refresh(descriptor.index);
  for await (const hits of engine.scan(descriptor.index, { query: { match_all: {} }, pageSize: options.pageSize ?? 1000, _source: false })) {
    const ids = hits.map((hit) => hit._id);
    scanned += ids.length;
    const connection = await pool.getConnection();
    let result: Awaited<ReturnType<typeof missingRootsAt>>;
    try {
      result = await missingRootsAt(connection, descriptor, ids, options.versioning);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    connection.release();
    const writes: Array<Promise<WriteOutcome>> = [];
    for (const id of result.missing) {
      await writer.waitForCapacity();
      writes.push(writer.write({ kind: 'delete', index: descriptor.index, id, version: result.version }));
    }
    for (const outcome of await Promise.all(writes)) {
      if (outcome.status === 'acknowledged') deleted += 1;
      else if (outcome.status === 'superseded') superseded += 1;
    }
  }
  return { scanned, deleted, superseded };
}

/** What {@link SnapshotSweeper} needs. */
export interface SnapshotSweeperSettings {
  readonly engine: SearchEngine;
  readonly pool: Pool;
  readonly writer: DocumentWriter;
  readonly descriptors: readonly DocumentDescriptor[];
  readonly versioning?: SnapshotVersioning;
  /** Runs one sweep with the sink's retries (transient failures retried). */
  readonly retry: <T>(what: string, operation: () => Promise<T>) => Promise<T>;
  readonly onSwept?: (document: string, sweep: MissingRootsSweep) => void;
}

/**
 * Runs {@link sweepMissingRoots} for every family once per capture snapshot the sink consumes
 * (a snapshot is known by its start time, the `source.tsMs` of its rows): called for each page,
 * it resolves when the sweep of a snapshot the page belongs to is done, so the page's offsets are
 * committed only after it. Any moment after the snapshot started will do: the sweep is a
 * versioned build of "now", and rows deleted after the snapshot's start are streamed anyway.
 */
export class SnapshotSweeper {
  private readonly sweeps = new Map<number, Promise<void>>();

  constructor(private readonly settings: SnapshotSweeperSettings) {}

  /** Sweeps (once) after a page holding rows of a capture snapshot; resolves at once for other pages. */
  async afterPage(events: Iterable<{ readonly source: { readonly snapshot: string; readonly tsMs: number } }>): Promise<void> {
    let startedAt: number | undefined;
    for (const event of events) {
      if (event.source.snapshot === 'true' || event.source.snapshot === 'last') {
        startedAt = event.source.tsMs;
        break;
      }
    }
    if (startedAt === undefined) return;
    let sweep = this.sweeps.get(startedAt);
    if (sweep === undefined) {
      sweep = this.sweepAll();
      this.sweeps.set(startedAt, sweep);
      const key = startedAt;
      sweep.catch(() => this.sweeps.delete(key));
    }
    await sweep;
  }

  private async sweepAll(): Promise<void> {
    const { settings } = this;
    for (const descriptor of settings.descriptors) {
      const result = await settings.retry(`sweeping ${descriptor.name} documents of deleted rows`, () =>
        sweepMissingRoots(settings.engine, settings.pool, settings.writer, descriptor, settings.versioning === undefined ? {} : { versioning: settings.versioning }),
      );
      settings.onSwept?.(descriptor.name, result);
    }
  }
}
