import { afterEach, describe, expect, it } from 'vitest';
import { removeChannelsAtCleanup, testEngine } from '../helpers/engines.js';
import { prepareSakilaPipeline, sakilaDifferences } from '../helpers/sakila-pipeline.js';
import { Cleanup } from '../helpers/services.js';
import { runCli, startSluice } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('rows deleted before a capture snapshot starts (OpenSearch)', () => {
  // streamed (sink.firstLoad false): the sweep runs when the sink consumes the snapshot; with the
  // first load (the default), the first load sweeps the index sluice sync had filled
  const sweeps = [
    { firstLoad: false, log: /"document":"films","scanned":\d+,"deleted":3,"superseded":0,"msg":"capture snapshot seen: documents of rows deleted before it swept"/ },
    { firstLoad: true, log: /"document":"films","scanned":\d+,"deleted":3,"superseded":0,"msg":"first load: documents of deleted rows removed from the existing index"/ },
  ];
  it.each(sweeps)('lose their documents when the sink starts (sink.firstLoad $firstLoad), although no event ever names them', async ({ firstLoad, log }) => {
    const engine = testEngine('opensearch', cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, engine, { firstLoad });
    removeChannelsAtCleanup(cleanup, engine, [sakila.filmIndex, sakila.customerIndex]);
    const sync = await runCli(['sync', '-c', sakila.file]);
    expect(sync.code, sync.stderr).toBe(0);
    // deleted after sync wrote their documents, before the pipeline's capture ever ran: its
    // snapshot starts after the deletes and its stream after the snapshot, so nothing reports them
    const [rows] = await sakila.connection.query('SELECT film_id FROM film WHERE film_id NOT IN (SELECT film_id FROM inventory) ORDER BY film_id LIMIT 3');
    const gone = (rows as Array<{ film_id: number }>).map((row) => row.film_id);
    expect(gone).toHaveLength(3);
    await sakila.connection.query('DELETE FROM film_actor WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film_category WHERE film_id IN (?)', [gone]);
    await sakila.connection.query('DELETE FROM film WHERE film_id IN (?)', [gone]);
    for (const id of gone) expect(await engine.get(sakila.filmIndex, String(id))).toBeDefined();

    const run = startSluice(['run', '-c', sakila.file], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await sakilaDifferences(engine, sakila).catch((error: unknown) => [String(error)]);
        return last.length === 0;
      },
      { timeoutMs: 180_000, intervalMs: 1000, description: 'the indexes to equal the database' },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${last.join('\n')}\n--- run ---\n${run.output().slice(-3000)}`);
    });
    for (const id of gone) expect(await engine.get(sakila.filmIndex, String(id))).toBeUndefined();
    expect(run.output()).toMatch(log);
  }, 300_000);
});
