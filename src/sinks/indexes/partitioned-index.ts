import { SluiceError } from '../../errors.js';
import type { AliasAction, BulkResult, SearchEngine } from '../engine/search-engine.js';
import { inWindow, isExpired, parsePartition, partitionName, partitionStartsInRange, type Partition, type PartitionInterval } from './partitions.js';

/**
 * A time-partitioned index: documents go to `name-vN-yyyy.MM.dd` (daily) or `name-vN-yyyy.MM`
 * (monthly) by their `timestampField`, every partition is behind the umbrella alias `name`, and
 * each window (e.g. `last-7d`) is an alias `name-last-7d` over the partitions it covers, kept
 * current by {@link PartitionedIndex.maintain}.
 */
export interface PartitionedIndexSpec {
  readonly name: string;
  readonly version: number;
  readonly interval: PartitionInterval;
  /** The field holding each document's time (epoch millis or an ISO date). */
  readonly timestampField: string;
  /** Partitions older than this are deleted by maintenance; writes older than it are refused. */
  readonly maxAgeMs?: number | undefined;
  /** Window alias suffixes and their lengths, e.g. { 'last-7d': 7 days in ms }. */
  readonly windows?: Readonly<Record<string, number>> | undefined;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** A range touching more partitions than this is searched through the umbrella alias (default 60). */
  readonly maxPartitionsPerSearch?: number | undefined;
}

/** A write whose time is older than `maxAge`: its partition is (or will be) deleted by retention. */
export class TooOldError extends SluiceError {
  constructor(index: string, timestamp: number, maxAgeMs: number, now: number) {
    super(
      `a document of ${index} dated ${new Date(timestamp).toISOString()} is older than maxAge (${Math.round(maxAgeMs / 3_600_000)} h before ${new Date(now).toISOString()}); it was refused because retention deletes its partition`,
      { retriable: false, context: { index, timestamp } },
    );
  }
}

/** What a maintenance pass did. */
export interface MaintenanceReport {
  readonly name: string;
  readonly deleted: readonly string[];
  /** For each window alias, the partitions behind it after the pass. */
  readonly windows: Readonly<Record<string, readonly string[]>>;
}

/** A document to write: its id (optional) and source (which must carry the timestamp field). */
export interface PartitionedDocument {
  readonly id?: string;
  readonly source: Readonly<Record<string, unknown>>;
}

function timestampOf(source: Readonly<Record<string, unknown>>, field: string): number {
  let value: unknown = source;
  for (const part of field.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new SluiceError(`a document has no valid ${field} (a date or epoch millis) to choose its partition`, { retriable: false });
  return ms;
}

/** Writes, maintains and searches a partitioned index (see {@link PartitionedIndexSpec}); `now` is injectable. */
export class PartitionedIndex {
  private readonly known = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly engine: SearchEngine,
    readonly spec: PartitionedIndexSpec,
    options: { readonly now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The name of a window alias. */
  windowAlias(window: string): string {
    return `${this.spec.name}-${window}`;
  }

  /** The partition a document dated `timestamp` goes to; throws TooOldError past maxAge. */
  partitionFor(timestamp: number): string {
    const now = this.now();
    const { maxAgeMs } = this.spec;
    if (maxAgeMs !== undefined && timestamp < now - maxAgeMs) {
      throw new TooOldError(this.spec.name, timestamp, maxAgeMs, now);
    }
    return partitionName(this.spec.name, this.spec.version, this.spec.interval, timestamp);
  }

  /** Creates a partition (with the umbrella alias, and the windows it is in) unless it exists. */
  async ensurePartition(index: string): Promise<void> {
    if (this.known.has(index)) return;
    const partition = parsePartition(this.spec.name, this.spec.interval, index);
    const now = this.now();
    const aliases: Record<string, unknown> = { [this.spec.name]: {} };
    for (const [window, ms] of Object.entries(this.spec.windows ?? {})) if (partition !== undefined && inWindow(partition, now, ms)) aliases[this.windowAlias(window)] = {};
    await this.engine.createIndex(index, { settings: { ...(this.spec.settings ?? {}) }, mappings: { ...(this.spec.mappings ?? {}) }, aliases });
    this.known.add(index);
  }

  /**
   * Writes documents to their partitions (created on first write); throws TooOldError, before
   * writing anything, when one is older than maxAge. Returns the bulk result (one item per document).
   */
  async write(documents: readonly PartitionedDocument[], options: { readonly refresh?: boolean } = {}): Promise<BulkResult> {
    const targets = documents.map((document) => this.partitionFor(timestampOf(document.source, this.spec.timestampField)));
    for (const index of new Set(targets)) await this.ensurePartition(index);
    const lines = documents.flatMap((document, position) => [JSON.stringify({ index: { _index: targets[position], ...(document.id === undefined ? {} : { _id: document.id }) } }), JSON.stringify(document.source)]);
    return this.engine.bulk(`${lines.join('\n')}\n`, options.refresh === undefined ? {} : { refresh: options.refresh });
  }

  /** The partitions that exist (any version), oldest first. */
  async partitions(): Promise<Partition[]> {
    const found = await this.engine.listIndexes(`${this.spec.name}-v*`);
    return found.map((entry) => parsePartition(this.spec.name, this.spec.interval, entry.index)).filter((partition): partition is Partition => partition !== undefined).sort((a, b) => a.start - b.start || a.version - b.version);
  }

  /** The partitions whose documents' retention is due (older than maxAge); [] without maxAge. */
  async expired(): Promise<Partition[]> {
    const { maxAgeMs } = this.spec;
    if (maxAgeMs === undefined) return [];
    const now = this.now();
    return (await this.partitions()).filter((partition) => isExpired(partition, now, maxAgeMs));
  }

  /**
   * The maintenance pass: deletes the partitions older than maxAge, then moves every window alias
   * onto exactly the partitions it covers now, in one atomic alias change.
   */
  async maintain(): Promise<MaintenanceReport> {
    const now = this.now();
    const deleted: string[] = [];
    for (const partition of await this.expired()) {
      await this.engine.deleteIndex(partition.index);
      this.known.delete(partition.index);
      deleted.push(partition.index);
    }
    const partitions = await this.partitions();
    const actions: AliasAction[] = [];
    const windows: Record<string, string[]> = {};
    for (const [window, ms] of Object.entries(this.spec.windows ?? {})) {
      const alias = this.windowAlias(window);
      const wanted = partitions.filter((partition) => inWindow(partition, now, ms)).map((partition) => partition.index);
      const current = Object.keys(await this.engine.getAlias(alias));
      for (const index of current) if (!wanted.includes(index)) actions.push({ remove: { index, alias } });
      for (const index of wanted) if (!current.includes(index)) actions.push({ add: { index, alias } });
      windows[window] = wanted;
    }
    for (const partition of partitions) actions.push({ add: { index: partition.index, alias: this.spec.name } });
    if (actions.length > 0) await this.engine.updateAliases(actions);
    return { name: this.spec.name, deleted, windows };
  }

  /**
   * The indexes to search for documents dated in [from, to]: the existing partitions the range
   * touches, or the umbrella alias when it touches more than maxPartitionsPerSearch. [] when none exists.
   */
  async resolveRange(from: number, to: number): Promise<string[]> {
    const starts = new Set(partitionStartsInRange(this.spec.interval, from, to));
    if (starts.size > (this.spec.maxPartitionsPerSearch ?? 60)) return [this.spec.name];
    return (await this.partitions()).filter((partition) => starts.has(partition.start)).map((partition) => partition.index);
  }

  /**
   * Applies the spec's mapping to the `last` newest existing partitions (new partitions get it
   * when created): a put mapping, then an update by query so existing documents are indexed with it.
   */
  async applyMapping(last: number): Promise<string[]> {
    const targets = (await this.partitions()).slice(-last).map((partition) => partition.index);
    const properties = (this.spec.mappings?.properties ?? {}) as Record<string, unknown>;
    for (const index of targets) {
      await this.engine.putMapping(index, { properties });
      await this.engine.updateByQuery({ index, query: { match_all: {} }, conflicts: 'proceed', refresh: true });
    }
    return targets;
  }
}
