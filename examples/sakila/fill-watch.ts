/**
 * What `npm run demo:mapping-change` watches while a new index fills: a reader searching the read
 * alias all the time (which index answers, with how many hits), the backing indexes of the channel
 * with their document counts, and the moment the read alias moves. Everything goes through the
 * engine port, as any search client would see it.
 */
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';

/** One search through the read alias, with the state of the indexes next to it. */
export interface SearchSample {
  readonly atMs: number;
  /** Hits of a match_all (total tracked), or the error's text. */
  readonly hits: number | string;
  /** The index whose shard answered (the first hit's `_index`). */
  readonly answeredBy: string | undefined;
  /** Hits of `exists: title.raw` (the edited mapping's field): 0 until the new index answers. */
  readonly titleRawHits: number | undefined;
  /** Searchable documents of the new index at that moment (undefined before it exists). */
  readonly newDocs: number | undefined;
}

/** What the watch saw, for the demo's verdict and the tests. */
export interface FillObservations {
  readonly oldIndex: string;
  readonly newIndex: string | undefined;
  /** When the new index was first seen, and when the read alias was first seen on it (ms since epoch). */
  readonly fillSeenMs: number | undefined;
  readonly aliasMovedMs: number | undefined;
  readonly oldIndexDeletedMs: number | undefined;
  readonly searches: number;
  /** Searches made while the new index existed and the alias was still on the old one. */
  readonly searchesDuringFill: number;
  /** Of those, answered by the old index with every document while the new index held fewer. */
  readonly oldAnsweredWhileNewPartial: number;
  /** The fewest and the most documents the new index held when such a search was answered. */
  readonly newDocsWhileOldAnswered: { readonly min: number; readonly max: number } | undefined;
  /** Searches answered with an error, no hits, or another number of hits than documents (none expected). */
  readonly badAnswers: number;
  /** The first few of those. */
  readonly badAnswerExamples: readonly string[];
  /** Searches answered by the new index before the alias had moved (none expected). */
  readonly newAnsweredEarly: number;
}

/**
 * Watches the read alias `alias` of a channel whose current index is `oldIndex` and whose complete
 * document count is `documents` (the writer only updates, so it stays the same): a reader loop
 * searches the alias every `intervalMs` and records each answer.
 */
export class FillWatch {
  private running = true;
  private readonly samples: SearchSample[] = [];
  private newIndex: string | undefined;
  private fillSeenMs: number | undefined;
  private aliasMovedMs: number | undefined;
  private oldIndexDeletedMs: number | undefined;
  private searchesDuringFill = 0;
  private oldAnsweredWhileNewPartial = 0;
  private newDocsWhileOldAnswered: { min: number; max: number } | undefined;
  private newAnsweredEarly = 0;
  private badAnswers = 0;
  private readonly badAnswerExamples: string[] = [];
  private readonly loop: Promise<void>;

  constructor(
    private readonly engine: SearchEngine,
    readonly alias: string,
    readonly oldIndex: string,
    readonly documents: number,
    intervalMs = 100,
  ) {
    this.loop = this.watch(intervalMs);
  }

  /** The latest sample, if any. */
  get last(): SearchSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Samples since index `from` (to summarise a period). */
  samplesSince(from: number): readonly SearchSample[] {
    return this.samples.slice(from);
  }

  get sampleCount(): number {
    return this.samples.length;
  }

  /** What was seen so far. */
  get observations(): FillObservations {
    return {
      oldIndex: this.oldIndex,
      newIndex: this.newIndex,
      fillSeenMs: this.fillSeenMs,
      aliasMovedMs: this.aliasMovedMs,
      oldIndexDeletedMs: this.oldIndexDeletedMs,
      searches: this.samples.length,
      searchesDuringFill: this.searchesDuringFill,
      oldAnsweredWhileNewPartial: this.oldAnsweredWhileNewPartial,
      newDocsWhileOldAnswered: this.newDocsWhileOldAnswered === undefined ? undefined : { ...this.newDocsWhileOldAnswered },
      badAnswers: this.badAnswers,
      badAnswerExamples: [...this.badAnswerExamples],
      newAnsweredEarly: this.newAnsweredEarly,
    };
  }

  /** Stops the reader loop. */
  async stop(): Promise<FillObservations> {
    this.running = false;
    await this.loop;
    return this.observations;
  }

  private async watch(intervalMs: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await this.observe();
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One round: the indexes of the channel, the alias, and a search through the alias. */
  private async observe(): Promise<void> {
    const { engine, alias } = this;
    // the state of the indexes first, then the search: an answer from the new index is early only
    // if the alias was seen on the old one after the search (checked again below)
    const state = await Promise.all([engine.listIndexes(`${alias}__*`), engine.getAlias(alias)]).catch(() => undefined);
    const [indexes, behind] = state ?? [[], {}];
    const created = indexes.filter((entry) => entry.index !== this.oldIndex).sort((a, b) => b.createdMs - a.createdMs)[0];
    if (this.newIndex === undefined && created !== undefined) {
      this.newIndex = created.index;
      this.fillSeenMs = Date.now();
    }
    const newIndex = this.newIndex;
    const aliasOnNew = newIndex !== undefined && Object.keys(behind).includes(newIndex);
    if (aliasOnNew && this.aliasMovedMs === undefined) this.aliasMovedMs = Date.now();
    // (a failed listing says nothing about the old index)
    if (state !== undefined && this.aliasMovedMs !== undefined && this.oldIndexDeletedMs === undefined && !indexes.some((entry) => entry.index === this.oldIndex)) this.oldIndexDeletedMs = Date.now();
    const newDocs = newIndex === undefined ? undefined : await engine.count(newIndex).catch(() => undefined);
    let hits: number | string;
    let answeredBy: string | undefined;
    let titleRawHits: number | undefined;
    try {
      const [all, raw] = await Promise.all([
        engine.search({ index: alias, query: { match_all: {} }, size: 1, _source: false, track_total_hits: true }),
        engine.search({ index: alias, query: { exists: { field: 'title.raw' } }, size: 0, track_total_hits: true }),
      ]);
      hits = all.total ?? -1;
      answeredBy = all.hits[0]?._index;
      titleRawHits = raw.total;
    } catch (error) {
      hits = error instanceof Error ? error.message : String(error);
    }
    const sample: SearchSample = { atMs: Date.now(), hits, answeredBy, titleRawHits, newDocs };
    this.samples.push(sample);
    if (typeof hits !== 'number' || hits !== this.documents) {
      this.badAnswers += 1;
      if (this.badAnswerExamples.length < 10) this.badAnswerExamples.push(`${new Date(sample.atMs).toISOString()}: ${typeof hits === 'number' ? `${hits} hits (of ${this.documents})` : hits}`);
      return;
    }
    // without the state of the alias (a failed request), the answer cannot be placed in the fill
    if (state === undefined || newIndex === undefined || aliasOnNew) return;
    // the alias was on the old index when the round began: the answer is from the fill
    this.searchesDuringFill += 1;
    if (answeredBy === newIndex) {
      // the alias may have moved between the two requests: only an answer from the new index while the alias is still on the old one is early
      const now = await engine.getAlias(alias).catch(() => undefined);
      if (now !== undefined && !Object.keys(now).includes(newIndex)) this.newAnsweredEarly += 1;
      return;
    }
    if (answeredBy === this.oldIndex && newDocs !== undefined && newDocs < this.documents) {
      this.oldAnsweredWhileNewPartial += 1;
      const seen = this.newDocsWhileOldAnswered;
      this.newDocsWhileOldAnswered = { min: Math.min(seen?.min ?? newDocs, newDocs), max: Math.max(seen?.max ?? newDocs, newDocs) };
    }
  }
}
