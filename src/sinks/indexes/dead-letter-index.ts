import type { DeadLetter } from '../dead-letters.js';
import type { SearchEngine } from '../engine/search-engine.js';
import { PartitionedIndex } from './partitioned-index.js';
import { RetainedLog } from './retained-log.js';

/** The dead-letter index of a pipeline: a monthly partitioned index `sluice-dead-letters-<pipeline>`. */
export function deadLetterIndexName(pipeline: string): string {
  return `sluice-dead-letters-${pipeline}`;
}

const MAPPINGS = {
  dynamic: false,
  properties: {
    atMs: { type: 'date', format: 'epoch_millis' },
    kind: { type: 'keyword' },
    reason: { type: 'text' },
    httpStatus: { type: 'integer' },
    index: { type: 'keyword' },
    documentId: { type: 'keyword' },
    trigger: { properties: { topic: { type: 'keyword' }, partition: { type: 'integer' }, offset: { type: 'keyword' }, table: { type: 'keyword' }, op: { type: 'keyword' }, key: { type: 'keyword' } } },
    // kept in _source, not indexed: read when a letter is inspected, never searched
    document: { type: 'object', enabled: false },
    value: { type: 'keyword', index: false, doc_values: false },
  },
};

/**
 * The dead letters of a pipeline in the search engine, beside the dead-letter topic (which stays
 * the record): a monthly partitioned index with `maxAge` retention, searchable by time, kind,
 * index, document id and the change that caused them. A letter's id is its topic key and time, so
 * writing it again (a page processed again after a crash) does not duplicate it.
 */
export class DeadLetterIndex {
  readonly index: PartitionedIndex;
  private readonly log: RetainedLog;

  constructor(
    private readonly engine: SearchEngine,
    pipeline: string,
    settings: { readonly maxAgeMs: number; readonly now?: () => number },
  ) {
    this.index = new PartitionedIndex(
      engine,
      { name: deadLetterIndexName(pipeline), version: 1, interval: 'monthly', timestampField: 'atMs', maxAgeMs: settings.maxAgeMs, mappings: MAPPINGS, settings: { number_of_replicas: 0 } },
      settings.now === undefined ? {} : { now: settings.now },
    );
    this.log = new RetainedLog(this.index, 'the dead-letter index', settings.now);
  }

  /** Writes one letter (retention runs at most once an hour); a refused write is a retriable SluiceError. */
  async write(letter: DeadLetter): Promise<void> {
    const key = letter.documentId ?? (letter.trigger === undefined ? 'message' : `${letter.trigger.topic}:${letter.trigger.partition}:${letter.trigger.offset}`);
    await this.log.append([{ id: `${key}@${letter.atMs}`, source: { ...letter } }]);
  }

  /** The letters of [from, to] (ms), newest first. */
  async search(from: number, to: number, size = 100): Promise<DeadLetter[]> {
    const indexes = await this.index.resolveRange(from, to);
    if (indexes.length === 0) return [];
    const found = await this.engine.search<DeadLetter>({ index: indexes.join(','), query: { range: { atMs: { gte: from, lte: to, format: 'epoch_millis' } } }, sort: [{ atMs: 'desc' }], size });
    return found.hits.map((hit) => hit._source).filter((letter): letter is DeadLetter => letter !== undefined);
  }
}
