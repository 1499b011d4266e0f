import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { removeChannelsAtCleanup, testEngine } from '../helpers/engines.js';
import { prepareSakilaPipeline, sakilaDifferences, type SakilaPipeline } from '../helpers/sakila-pipeline.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { Cleanup, endpoints } from '../helpers/services.js';
import { runCli, startSluice } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * Extra films (copies of the 1,000, without cast or categories), so that the backfill lasts a few
 * seconds even on a quiet machine (13,000 films took about 5 s alone).
 */
const EXTRA_FILMS = 30_000;
/**
 * Mutations that must commit while the new index is being backfilled. The workload runs from the
 * backfill's start until the alias moves, so this only needs the backfill to last; with 13,000
 * films CI measured 1,199 under load and 2,441 alone.
 */
const MUTATIONS_DURING_BACKFILL = 500;
/** The workload's bound when the alias never moves (the wait for it then fails). */
const MAX_MUTATIONS = 30_000;

/** Removes every index behind the pipeline's aliases, the indexes in `made` and the channels' templates. */
function removeChannels(engine: SearchEngine, sakila: SakilaPipeline, made: Set<string>): void {
  removeChannelsAtCleanup(cleanup, engine, [sakila.filmIndex, sakila.customerIndex], made);
}

/** Rewrites the pipeline file with a new mapping of the films' title (text with a keyword sub-field). */
function changeFilmMapping(file: string): void {
  const config = parse(readFileSync(file, 'utf8')) as { documents: { films: Record<string, unknown> } };
  config.documents.films.mappings = { properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } } } };
  writeFileSync(file, stringify(config));
}

/**
 * For a failure message: the stored `_version` (as a binlog coordinate of epoch 0) and content hash
 * of each film named in `differences` ("films: <id>: ..." lines), read by id through `alias`.
 */
async function storedVersions(node: string, alias: string, differences: readonly string[]): Promise<string[]> {
  const ids = [...new Set(differences.map((line) => /^films: (\d+):/.exec(line)?.[1]).filter((id): id is string => id !== undefined))];
  return Promise.all(
    ids.map(async (id) => {
      try {
        const response = await fetch(`${node}/${alias}/_doc/${id}`);
        const body = (await response.json()) as { _index?: string; _version?: number; _source?: { _sluice?: { hash?: string } } };
        const version = body._version ?? 0;
        return `${id}: ${body._index ?? '?'} version ${version} (binlog file ${Math.floor(version / 2 ** 32)} position ${version % 2 ** 32}), hash ${body._source?._sluice?.hash ?? '?'}`;
      } catch (error) {
        return `${id}: ${String(error)}`;
      }
    }),
  );
}

/** The hits of a match_all on `alias` (total tracked), or the error's text. */
async function hitsOf(engine: SearchEngine, alias: string): Promise<number | string> {
  try {
    const result = await engine.search({ index: alias, query: { match_all: {} }, size: 0, track_total_hits: true });
    return result.total ?? -1;
  } catch (error) {
    return String(error);
  }
}

describe('a mapping change while the continuous pipeline runs (OpenSearch)', () => {
  it('backfills a new index while changes flow to both, moves the read alias only when complete, and searches never see an empty or partial index', async () => {
    const engine = testEngine('opensearch', cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, engine);
    const made = new Set<string>();
    removeChannels(engine, sakila, made);
    for (let copy = 1; copy * 1000 <= EXTRA_FILMS; copy += 1) {
      await sakila.connection.query(
        `INSERT INTO film (film_id, title, description, release_year, language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features)
         SELECT film_id + ?, CONCAT(title, ' ', ?), description, release_year, language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features FROM film WHERE film_id <= 1000`,
        [copy * 1000 + 100_000, copy],
      );
    }
    const filmCount = 1000 + EXTRA_FILMS;
    // the channels exist (sync), the continuous pipeline runs and is in step
    const initial = await runCli(['sync', '-c', sakila.file]);
    expect(initial.code, initial.stderr).toBe(0);
    const first = startSluice(['run', '-c', sakila.file], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    // the sync made the indexes equal already: wait for the sink itself, so that SIGTERM finds its handler installed
    await waitFor(() => first.output().includes('"msg":"sink starting"'), { timeoutMs: 120_000, intervalMs: 500, description: 'the first run to start its sink' });
    await waitFor(async () => (await sakilaDifferences(engine, sakila).catch((error: unknown) => [String(error)])).length === 0, {
      timeoutMs: 240_000,
      intervalMs: 2000,
      description: 'the first run to be in step',
    });
    const [oldIndex] = Object.keys(await engine.getAlias(sakila.filmIndex));
    expect(oldIndex).toBeDefined();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // the mapping changes; the pipeline restarts
    changeFilmMapping(sakila.file);
    let done = false;
    let searches = 0;
    const answers: Array<number | string> = [];
    const searcher = (async () => {
      while (!done) {
        const hits = await hitsOf(engine, sakila.filmIndex);
        searches += 1;
        if (hits !== filmCount || answers.length === 0) answers.push(hits);
        await sleep(20);
      }
    })();
    const run = startSluice(['run', '-c', sakila.file], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    let newIndex: string | undefined;
    let committed = 0;
    let atBackfillStart = -1;
    let atSwap = -1;
    // the new index appears: the backfill has started (the workload waits for it)
    await waitFor(
      () => {
        const log = /"to":"([^"]+)"[^\n]*mapping change: backfilling/.exec(run.output());
        newIndex = log?.[1];
        if (newIndex !== undefined) made.add(newIndex);
        return Promise.resolve(newIndex !== undefined);
      },
      { timeoutMs: 120_000, intervalMs: 50, description: 'the backfill of the new index to start' },
    );
    const watcher = (async () => {
      while (atSwap < 0) {
        const behind = Object.keys(await engine.getAlias(sakila.filmIndex));
        if (behind.includes(newIndex ?? '')) atSwap = committed;
        else await sleep(25);
      }
    })();
    atBackfillStart = committed;
    // mutations commit from the backfill's start until the read alias moved
    const counts = await runSakilaWorkload(sakila.connection, sakila.database, {
      mutations: MAX_MUTATIONS,
      seed: 55,
      until: () => atSwap >= 0,
      onMutation: () => {
        committed += 1;
      },
    });
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(committed);
    await waitFor(() => Promise.resolve(atSwap >= 0), { timeoutMs: 240_000, intervalMs: 200, description: 'the read alias to move to the new index' });
    await watcher;
    done = true;
    await searcher;
    process.stdout.write(`mapping change: ${atSwap - atBackfillStart} mutations during the backfill, ${searches} searches, answers ${answers.slice(0, 30).join(', ')}\n`);
    expect(atSwap - atBackfillStart, `mutations committed during the backfill (${atBackfillStart} -> ${atSwap})`).toBeGreaterThanOrEqual(MUTATIONS_DURING_BACKFILL);

    // every document correct behind the read alias, which is on the new index only; the old index is gone
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await sakilaDifferences(engine, sakila).catch((error: unknown) => [String(error)]);
        return last.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1000, description: 'the indexes to equal the database' },
    ).catch(async (error: unknown) => {
      const stored = await storedVersions(endpoints.opensearchNode, sakila.filmIndex, last);
      const warnings = run
        .output()
        .split('\n')
        .filter((line) => /"level":(4|5|6)0/.test(line) || line.includes('mapping change') || line.includes('full sync completed'))
        .slice(-30);
      throw new Error(`${String(error)}\n${last.join('\n')}\n--- stored versions ---\n${stored.join('\n')}\n--- run: warnings and cut-over ---\n${warnings.join('\n')}\n--- run ---\n${run.output().slice(-3000)}`);
    });
    expect(Object.keys(await engine.getAlias(sakila.filmIndex))).toEqual([newIndex]);
    expect(Object.keys(await engine.getAlias(`${sakila.filmIndex}-write`))).toEqual([newIndex]);
    // the old index is deleted a few seconds after the alias change (searches in flight finish first)
    await waitFor(async () => !(await engine.indexExists(oldIndex ?? '')), { timeoutMs: 30_000, description: 'the old index to be deleted' });
    const raw = await engine.search({ index: sakila.filmIndex, query: { exists: { field: 'title.raw' } }, size: 0, track_total_hits: true });
    expect(raw.total).toBeGreaterThan(0);
    // the searcher never saw zero hits nor an error; every answer was a whole index (the films
    // count moves with the workload, so only a count far below it would mean a partial index)
    expect(searches).toBeGreaterThan(50);
    for (const answer of answers) {
      expect(typeof answer, `a search answered ${String(answer)}`).toBe('number');
      expect(answer as number, `a search answered ${String(answer)} hits`).toBeGreaterThan(filmCount - 500);
    }
    expect(run.child.exitCode).toBeNull();
  }, 600_000);

  it('refuses with exit code 2 on the Elasticsearch node without lang-painless and reindex, naming the modules, the engine and the fix', async () => {
    const elasticsearch = testEngine('elasticsearch', cleanup);
    const capabilities = await elasticsearch.capabilities();
    expect(capabilities.modules).not.toContain('reindex');
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch);
    // a channel as a sync on a full cluster would have made it, with another mapping's hash
    const backing = `${sakila.filmIndex}__20260101-000000000`;
    cleanup.add(() => elasticsearch.deleteIndex(backing));
    await elasticsearch.createIndex(backing, { mappings: { _meta: { sluice_hash: 'an-older-mapping' } } });
    await elasticsearch.updateAliases([{ add: { index: backing, alias: sakila.filmIndex } }]);
    const result = await runCli(['run', '-c', sakila.file]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('the mapping change of documents.films');
    expect(result.stderr).toContain('lang-painless and reindex modules');
    expect(result.stderr).toContain(`elasticsearch ${capabilities.version}`);
    expect(result.stderr).toMatch(/fix: .*modules\/lang-painless/);
    expect(Object.keys(await elasticsearch.getAlias(sakila.filmIndex))).toEqual([backing]);
  }, 120_000);
});
