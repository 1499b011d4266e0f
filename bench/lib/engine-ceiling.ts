/**
 * The search engine's raw bulk ceiling: a plain bulk loader indexing the documents sluice built
 * (read back from sluice's index, `_sluice` included) with explicit ids into a fresh index that
 * has the same mappings, trying a few bulk sizes and concurrencies, through the engine port's
 * bulk() (the same call sluice's sink makes), so the same code measures Elasticsearch and
 * OpenSearch. Bodies are serialized before the clock starts: only the engine and the HTTP client
 * are measured.
 */
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { engineWorkPerDocument, indexWorkOf, NO_INDEX_WORK, type EngineWorkPerDocument } from './progress.js';
import { now, sleep } from './services.js';

/** A document to load: its id and its `_source` as JSON. */
export interface LoadDocument {
  readonly id: string;
  readonly json: string;
}

/** Reads every document of `index` (refreshed first), sorted by `_sluice.id`. */
export async function readDocuments(engine: SearchEngine, index: string): Promise<LoadDocument[]> {
  await engine.refresh(index);
  const documents: LoadDocument[] = [];
  let after: readonly unknown[] | undefined;
  for (;;) {
    const response = await engine.search<Record<string, unknown>>({
      index,
      size: 10_000,
      sort: [{ '_sluice.id': 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = response.hits;
    for (const hit of hits) if (hit._source !== undefined) documents.push({ id: hit._id, json: JSON.stringify(hit._source) });
    const last = hits[hits.length - 1];
    if (last?.sort === undefined || hits.length < 10_000) return documents;
    after = last.sort;
  }
}

/** A bulk loader configuration. */
export interface BulkConfig {
  readonly documentsPerRequest: number;
  readonly concurrency: number;
}

/** The configurations tried (sluice's default is 1,000 per request, 2 in flight). */
export const BULK_CONFIGS: readonly BulkConfig[] = [
  { documentsPerRequest: 500, concurrency: 2 },
  { documentsPerRequest: 1_000, concurrency: 1 },
  { documentsPerRequest: 1_000, concurrency: 2 },
  { documentsPerRequest: 1_000, concurrency: 4 },
  { documentsPerRequest: 2_000, concurrency: 2 },
  { documentsPerRequest: 5_000, concurrency: 2 },
];

/** A load of the final round: with the CPU of each process, and the engine's thread time per document (the index's stats). */
export interface MeteredLoadRun extends LoadRun {
  readonly cpu?: Record<string, number>;
  readonly engineWork?: EngineWorkPerDocument;
}

/** One load. */
export interface LoadRun extends BulkConfig {
  /** Times the documents were sent over (later rounds overwrite the earlier ones). */
  readonly rounds: number;
  readonly documents: number;
  readonly seconds: number;
  readonly documentsPerSecond: number;
}

/** Creates `target` with the mappings and shard settings of `source`. */
export async function createLikeIndex(engine: SearchEngine, source: string, target: string): Promise<void> {
  const { mappings, settings } = await engine.describeIndex(source);
  await engine.createIndex(target, {
    mappings,
    settings: {
      number_of_shards: Number(settings.number_of_shards ?? 1),
      number_of_replicas: Number(settings.number_of_replicas ?? 1),
    },
  });
}

/**
 * Loads `documents` into `index` with a config; the documents are sent in order, `rounds` times
 * over (later rounds overwrite the same ids, as repeated builds of the same documents do). With
 * `pacedAt`, requests leave no faster than that many documents per second (flat out otherwise).
 */
export async function bulkLoad(engine: SearchEngine, index: string, documents: readonly LoadDocument[], config: BulkConfig, rounds = 1, pacedAt?: number): Promise<LoadRun> {
  // every round sends the same bodies: made once, so many rounds cost no more memory than one
  const roundBodies: string[] = [];
  for (let start = 0; start < documents.length; start += config.documentsPerRequest) {
    roundBodies.push(
      documents
        .slice(start, start + config.documentsPerRequest)
        .map((document) => `{"index":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(document.id)}}}\n${document.json}\n`)
        .join(''),
    );
  }
  const bodies = Array.from({ length: rounds }, () => roundBodies).flat();
  let next = 0;
  let failures = 0;
  const began = now();
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next];
      next += 1;
      if (body === undefined) return;
      if (pacedAt !== undefined) {
        const due = began + requestDueMs(next - 1, config.documentsPerRequest, pacedAt);
        if (due > now()) await sleep(due - now());
      }
      // the port never retries by itself: a failed request fails the load
      const response = await engine.bulk(body);
      if (response.errors) failures += response.items.filter((item) => item.error !== undefined).length;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, () => worker()));
  const seconds = (now() - began) / 1000;
  if (failures > 0) throw new Error(`the bulk loader had ${failures} failed items`);
  const total = documents.length * rounds;
  return { ...config, rounds, documents: total, seconds, documentsPerSecond: total / seconds };
}

/**
 * When the `request`-th request (0-based) of a paced load may leave, in ms after the load began:
 * once the documents of the requests before it have had their time at `documentsPerSecond`.
 */
export function requestDueMs(request: number, documentsPerRequest: number, documentsPerSecond: number): number {
  return (request * documentsPerRequest * 1000) / documentsPerSecond;
}

/**
 * The shortest load a ceiling is taken from. The index refreshes every second: a load over in
 * less than a second (Sakila's 24,000 film documents at 28,000/s on a warm Elasticsearch) never
 * pays for a refresh, nor for overwriting documents already in a segment, both of which sluice's
 * passes over the same documents pay (4-6 s).
 */
export const MIN_CEILING_SECONDS = 5;

/** Rounds of `documents` a load at `documentsPerSecond` needs to last {@link MIN_CEILING_SECONDS}, and at least `rounds`. */
export function sustainedRounds(documents: number, documentsPerSecond: number, rounds: number): number {
  return Math.max(rounds, Math.ceil((MIN_CEILING_SECONDS * documentsPerSecond) / Math.max(1, documents)));
}

/**
 * The ceiling for `documents`: every config tried on a fresh index with the first `sampleSize`
 * documents (`rounds` times over), then the two best configs on all of them, each in a fresh
 * index (metered by `meter`), repeated in more rounds if a load would otherwise last less than
 * {@link MIN_CEILING_SECONDS}; the faster of those two is the ceiling. With `pacedAt` (sluice's
 * end-to-end rate on the same documents), the best config loads them once more, no faster than
 * that: an engine costs more per document at a lower rate (its refreshes come once a second
 * whatever the rate), and this load shows how much of the engine's CPU in sluice's passes is that.
 * Every index it creates is deleted afterwards.
 */
export async function engineCeiling(
  engine: SearchEngine,
  likeIndex: string,
  documents: readonly LoadDocument[],
  options: { sampleSize: number; rounds?: number; indexPrefix: string; meter?: () => () => Record<string, number>; pacedAt?: number },
): Promise<{ trials: LoadRun[]; best: MeteredLoadRun; paced?: PacedLoadRun }> {
  const sample = documents.slice(0, options.sampleSize);
  const trials: LoadRun[] = [];
  let counter = 0;
  const fresh = async <T>(run: (index: string) => Promise<T>): Promise<T> => {
    counter += 1;
    const index = `${options.indexPrefix}-${counter}`;
    await createLikeIndex(engine, likeIndex, index);
    try {
      return await run(index);
    } finally {
      await engine.deleteIndex(index);
    }
  };
  for (const config of BULK_CONFIGS) trials.push(await fresh((index) => bulkLoad(engine, index, sample, config, options.rounds ?? 1)));
  // the two best configs once more on every document, with the CPU of each process metered
  const finalists = [...trials].sort((a, b) => b.documentsPerSecond - a.documentsPerSecond).slice(0, 2);
  // a load lasts at least MIN_CEILING_SECONDS at its expected rate: the paced one's, else the trial's
  const meteredLoad = (config: LoadRun, pacedAt?: number): Promise<MeteredLoadRun> =>
    fresh(async (index) => {
      const stop = options.meter?.();
      const rounds = sustainedRounds(documents.length, pacedAt ?? config.documentsPerSecond, options.rounds ?? 1);
      // the config alone: bulkLoad spreads it into its result, and `best` carries its own figures
      const { documentsPerRequest, concurrency } = config;
      const loaded = await bulkLoad(engine, index, documents, { documentsPerRequest, concurrency }, rounds, pacedAt);
      const cpu = stop?.();
      const engineWork = engineWorkPerDocument(NO_INDEX_WORK, await indexWorkOf(engine, index));
      return { ...loaded, ...(cpu === undefined ? {} : { cpu }), ...(engineWork === undefined ? {} : { engineWork }) };
    });
  let best: MeteredLoadRun | undefined;
  // (the trial's rate stands for the final's: a final a little faster still lasts nearly as long)
  for (const config of finalists) {
    const run = await meteredLoad(config);
    if (best === undefined || run.documentsPerSecond > best.documentsPerSecond) best = run;
  }
  if (best === undefined) throw new Error('no bulk configuration was tried');
  if (options.pacedAt === undefined || !(options.pacedAt > 0)) return { trials, best };
  const paced = { ...(await meteredLoad(best, options.pacedAt)), pacedAt: options.pacedAt };
  return { trials, best, paced };
}

/** The best configuration's load paced at a given rate (sluice's own end-to-end rate): the engine's cost per document at that rate. */
export interface PacedLoadRun extends MeteredLoadRun {
  /** The rate asked for, in documents per second. */
  readonly pacedAt: number;
}
