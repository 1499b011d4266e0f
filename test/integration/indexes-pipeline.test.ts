import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ChangeLog, changeLogName } from '../../src/sinks/indexes/change-log.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup } from '../helpers/services.js';
import { prepareSakilaPipeline, readIndexDocuments, waitForSinkDrained } from '../helpers/sakila-pipeline.js';
import { startSluice } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * README "Index management", worked example: the films index is a versioned index, `sluice run`
 * keeps it in step while film titles change, and `sluice indexes migrate` renames `title` to `name`
 * (v1 -> v2) meanwhile. No change made during the migration is lost.
 */
describe('a field rename v1 -> v2 while the pipeline runs', () => {
  it('keeps every document and every change made during the migration', async () => {
    const engine = testEngine('opensearch', cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, engine);
    const alias = sakila.filmIndex;
    cleanup.add(async () => {
      for (const found of await engine.listIndexes(`${alias}-v*`)) await engine.deleteIndex(found.index);
    });
    const parsed = parse(readFileSync(sakila.file, 'utf8')) as Record<string, unknown> & { sink: Record<string, unknown> };
    // with the change log on (off by default)
    const config = { ...parsed, sink: { ...parsed.sink, changeLog: { enabled: true, maxAge: '2d' } } };
    cleanup.add(async () => {
      for (const found of await engine.listIndexes(`${changeLogName(sakila.pipeline)}-*`)) await engine.deleteIndex(found.index);
    });
    const startedAt = Date.now() - 1000;
    const write = (indexes: Record<string, unknown>): void => writeFileSync(sakila.file, stringify({ ...config, indexes: { [alias]: { settings: { number_of_replicas: 0 }, ...indexes } } }));
    write({ version: 1 });
    const maintained = startSluice(['indexes', 'maintain', '-c', sakila.file], cleanup);
    expect(await maintained.exited, maintained.output()).toBe(0);

    const run = startSluice(['run', '-c', sakila.file], cleanup);
    await waitFor(async () => (await engine.count(alias).catch(() => 0)) === 1000, { timeoutMs: 120_000, intervalMs: 500, description: `1000 films in ${alias} (${run.output()})` });
    // the change log is on, so the snapshot streams through the sink (no first load): its rows of
    // film_actor, inventory... rebuild films after the 1000th is counted. Migrating before they are
    // read would leave films the workload never touches rewritten as v1 (`title`) after the switch.
    await waitForSinkDrained(sakila, 180_000);

    // film titles keep changing during the migration
    let changing = true;
    let round = 0;
    const workload = (async () => {
      while (changing) {
        round += 1;
        // films 1..100 only, 5 per round: the other 900 keep their migrated v2 documents
        await sakila.connection.query('UPDATE film SET title = CONCAT(?, film_id) WHERE film_id <= 100 AND film_id % 20 = ?', [`ROUND ${round} `, round % 20]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    write({ version: 2, migrations: { 2: [{ rename: { from: 'title', to: 'name' } }] } });
    const migrate = startSluice(['indexes', 'migrate', '-c', sakila.file], cleanup);
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(migrate.output()).toContain(`${alias}: migrated v1 -> v2 into ${alias}-v2`);
    changing = false;
    await workload;
    expect(round).toBeGreaterThan(2);
    expect(Object.keys(await engine.getAlias(alias))).toEqual([`${alias}-v2`]);

    // every film is there with its current title, under `name` (migrated) or `title` (written by the
    // running pipeline, which still builds v1 documents, after the switch)
    const [rows] = await sakila.connection.query('SELECT film_id, title FROM film');
    const titles = new Map((rows as Array<{ film_id: number; title: string }>).map((row) => [String(row.film_id), row.title]));
    let stale: string[] = [];
    await waitFor(
      async () => {
        const documents = await readIndexDocuments(engine, alias);
        stale = [...titles].filter(([id, title]) => {
          const document = documents.get(id);
          return document === undefined || (document.name ?? document.title) !== title;
        }).map(([id]) => id);
        return stale.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 1000, description: `every film current in ${alias} (stale: ${stale.slice(0, 10).join(', ')})` },
    );
    const documents = await readIndexDocuments(engine, alias);
    expect(documents.size).toBe(1000);
    // the films no change touched were migrated: `name`, no `title`
    for (const id of ['101', '500', '1000']) expect({ id, ...documents.get(id) }).toMatchObject({ id, name: titles.get(id) });
    expect(documents.get('500')).not.toHaveProperty('title');
    expect([...documents.values()].filter((document) => typeof document.name === 'string').length).toBeGreaterThanOrEqual(900);

    // the change log has every title change of film 1, with its before and after images
    const log = new ChangeLog(engine, sakila.pipeline, { maxAgeMs: 2 * 86_400_000 });
    const [history] = await sakila.connection.query('SELECT title FROM film WHERE film_id = 1');
    const entries = await waitFor(async () => {
      await engine.refresh(`${changeLogName(sakila.pipeline)}-*`);
      const found = await log.search(startedAt, Date.now() + 1000, { table: `${sakila.database}.film`, key: '{"film_id":1}' });
      return found.some((entry) => entry.after?.title === (history as Array<{ title: string }>)[0]?.title) ? found : undefined;
    }, { timeoutMs: 30_000, description: 'the change log to hold the last change of film 1' });
    const updates = entries.filter((entry) => entry.op === 'u');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[0]).toMatchObject({ table: `${sakila.database}.film`, op: 'u', before: { film_id: 1 }, after: { film_id: 1, title: expect.stringMatching(/^ROUND \d+ 1$/) as unknown } });
    // whole images: with the change log on, the sink decodes the columns no document reads too
    expect(Object.keys(updates[0]?.after ?? {})).toEqual(expect.arrayContaining(['replacement_cost', 'rental_duration', 'original_language_id']));
    expect(await log.search(startedAt, Date.now() + 1000, { table: `${sakila.database}.film`, key: '{"film_id":5000}' })).toEqual([]);
    expect((await log.search(startedAt, Date.now() + 1000, { table: `${sakila.database}.film`, key: '{"film_id":999}' })).map((entry) => entry.op)).toEqual(['r']);
  });
});
