import type { SearchEngine, SearchHit } from '../engine/search-engine.js';
import type { PageChange } from '../sink-page.js';
import { PartitionedIndex } from './partitioned-index.js';
import { RetainedLog } from './retained-log.js';

/** The change log of a pipeline: a daily partitioned index `sluice-changes-<pipeline>`. */
export function changeLogName(pipeline: string): string {
  return `sluice-changes-${pipeline}`;
}

/** One entry of the change log. */
export interface ChangeLogEntry {
  /** Commit time in the source (ms since epoch). */
  readonly at: number;
  /** `db.table`. */
  readonly table: string;
  /** The row's primary key as JSON (the Kafka key). */
  readonly key: string | null;
  readonly op: string;
  readonly before: Readonly<Record<string, unknown>> | null;
  readonly after: Readonly<Record<string, unknown>> | null;
  readonly gtid: string | null;
  /** Where the event is in Kafka (`topic:partition:offset`, also the entry's id). */
  readonly message: string;
}

const MAPPINGS = {
  dynamic: false,
  properties: {
    at: { type: 'date', format: 'epoch_millis' },
    table: { type: 'keyword' },
    key: { type: 'keyword' },
    op: { type: 'keyword' },
    gtid: { type: 'keyword' },
    message: { type: 'keyword' },
    // kept in _source, not indexed: the images are read, not searched
    before: { type: 'object', enabled: false },
    after: { type: 'object', enabled: false },
  },
};

function image(row: Readonly<Record<string, unknown>> | null): Record<string, unknown> | null {
  if (row === null) return null;
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column, Buffer.isBuffer(value) ? value.toString('base64') : value]));
}

/**
 * sluice's change log: every change event the document sink handles, written to a daily
 * partitioned index (table, key, op, commit time, before and after images) with `maxAge`
 * retention, searchable by time range, table and key. Entries are keyed by their Kafka position,
 * so a page processed again after a crash writes the same entries again (no duplicate). Events
 * older than `maxAge` (a replay of old changes) are skipped, not refused. Retention runs from
 * {@link write} at most once an hour.
 */
export class ChangeLog {
  readonly index: PartitionedIndex;
  private readonly log: RetainedLog;

  constructor(
    private readonly engine: SearchEngine,
    pipeline: string,
    private readonly settings: { readonly maxAgeMs: number; readonly now?: () => number },
  ) {
    this.index = new PartitionedIndex(
      engine,
      { name: changeLogName(pipeline), version: 1, interval: 'daily', timestampField: 'at', maxAgeMs: settings.maxAgeMs, mappings: MAPPINGS, settings: { number_of_replicas: 0 } },
      settings.now === undefined ? {} : { now: settings.now },
    );
    this.log = new RetainedLog(this.index, 'the change log', settings.now);
  }

  /** Writes the entries of a page of changes; throws a retriable SluiceError when the engine refused some. */
  async write(changes: readonly PageChange[]): Promise<void> {
    const now = (this.settings.now ?? Date.now)();
    const documents = changes
      .filter(({ event }) => event.source.tsMs >= now - this.settings.maxAgeMs)
      .map(({ event, trigger }) => {
        const message = `${trigger.topic}:${trigger.partition}:${trigger.offset}`;
        const entry: ChangeLogEntry = {
          at: event.source.tsMs,
          table: `${event.source.db}.${event.source.table}`,
          key: trigger.key ?? null,
          op: event.op,
          before: image(event.before),
          after: image(event.after),
          gtid: event.source.gtid,
          message,
        };
        return { id: message, source: entry as unknown as Record<string, unknown> };
      });
    await this.log.append(documents);
  }

  /** The entries committed in [from, to] (ms), optionally of one table (`db.table`) and key, oldest first. */
  async search(from: number, to: number, filter: { readonly table?: string; readonly key?: string; readonly size?: number } = {}): Promise<ChangeLogEntry[]> {
    const indexes = await this.index.resolveRange(from, to);
    if (indexes.length === 0) return [];
    const must: unknown[] = [{ range: { at: { gte: from, lte: to, format: 'epoch_millis' } } }];
    if (filter.table !== undefined) must.push({ term: { table: filter.table } });
    if (filter.key !== undefined) must.push({ term: { key: filter.key } });
    const found = await this.engine.search<ChangeLogEntry>({ index: indexes.join(','), query: { bool: { filter: must } }, sort: [{ at: 'asc' }, { message: 'asc' }], size: filter.size ?? 1000 });
    return found.hits.map((hit: SearchHit<ChangeLogEntry>) => hit._source).filter((entry): entry is ChangeLogEntry => entry !== undefined);
  }
}
