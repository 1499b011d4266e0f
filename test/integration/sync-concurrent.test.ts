import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { testEngine } from '../helpers/engines.js';
import { prepareSakilaPipeline, type SakilaPipeline } from '../helpers/sakila-pipeline.js';
import { diffDocuments, expectedCustomerDocuments, expectedFilmDocuments } from '../helpers/sakila-oracle.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { Cleanup } from '../helpers/services.js';
import { startSluice, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Every document behind `alias`, without the sync's bookkeeping fields (`_sluice` is ignored by the diff). */
async function documentsOf(engine: SearchEngine, alias: string): Promise<Map<string, Record<string, unknown>>> {
  await engine.refresh(alias);
  const documents = new Map<string, Record<string, unknown>>();
  for await (const page of engine.scan<Record<string, unknown>>(alias, { pageSize: 5000 })) {
    for (const hit of page) {
      if (hit._source === undefined) continue;
      const { batch_index_date: _batch, last_updated: _updated, ...rest } = hit._source;
      documents.set(hit._id, rest);
    }
  }
  return documents;
}

async function differences(engine: SearchEngine, sakila: SakilaPipeline): Promise<string[]> {
  const [films, customers] = await Promise.all([expectedFilmDocuments(sakila.connection, sakila.database), expectedCustomerDocuments(sakila.connection, sakila.database)]);
  return [
    ...diffDocuments(films, await documentsOf(engine, sakila.filmIndex), { limit: 10 }).map((line) => `films: ${line}`),
    ...diffDocuments(customers, await documentsOf(engine, sakila.customerIndex), { limit: 10 }).map((line) => `customers: ${line}`),
  ];
}

/**
 * `sluice sync` (two killed -9 midway, one run to its end) and `sluice run` (killed -9 and
 * started again) on the same Sakila documents under a random workload. When `run` is killed
 * during its capture's first snapshot, the restarted capture takes a new snapshot: a film
 * deleted in between (its document written by a sync) is named by no event at all; the sink's
 * sweep at the end of each capture snapshot deletes it (test/integration/snapshot-sweep.test.ts
 * shows that case alone).
 */
describe('sluice sync and sluice run on the same documents (OpenSearch)', () => {
  it('end equal to the database after a random workload with sync and run processes killed -9 midway', async () => {
    const engine = testEngine('opensearch', cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, engine);
    cleanup.add(async () => {
      for (const alias of [sakila.filmIndex, sakila.customerIndex]) {
        for (const index of Object.keys(await engine.getAlias(alias))) await engine.deleteIndex(index);
        await engine.deleteIndexTemplate(`sluice-${alias}`).catch(() => undefined);
      }
    });
    // the first load through sync (the aliases exist before the continuous sink starts)
    const initial = startSluice(['sync', '-c', sakila.file], cleanup);
    expect(await initial.exited, initial.output()).toBe(0);
    let run: SluiceProcess = startSluice(['run', '-c', sakila.file], cleanup);
    const events: string[] = [];
    let writing = true;
    const workload = runSakilaWorkload(sakila.connection, sakila.database, {
      mutations: 2000,
      seed: 21,
      onMutation: async (index) => {
        if (index % 20 === 0) await sleep(100);
      },
    }).finally(() => (writing = false));
    const syncs: SluiceProcess[] = [];
    const chaos = (async () => {
      for (let round = 0; round < 2; round += 1) {
        const sync = startSluice(['sync', '-c', sakila.file], cleanup);
        syncs.push(sync);
        await sleep(800 + Math.random() * 1500);
        if (sync.child.exitCode === null) {
          sync.child.kill('SIGKILL');
          events.push(`sync killed ${writing ? 'during' : 'after'} the workload: ${await sync.exited}`);
        } else {
          events.push(`sync ended before its kill: ${await sync.exited}`);
        }
      }
      await sleep(Math.random() * 2000);
      run.child.kill('SIGKILL');
      events.push(`run killed ${writing ? 'during' : 'after'} the workload: ${await run.exited}`);
      run = startSluice(['run', '-c', sakila.file], cleanup);
      // a sync that runs to its end while changes flow
      const complete = startSluice(['sync', '-c', sakila.file], cleanup);
      syncs.push(complete);
      events.push(`sync started ${writing ? 'during' : 'after'} the workload`);
      const code = await complete.exited;
      events.push(`sync ended ${writing ? 'during' : 'after'} the workload: ${code}`);
      expect(code, complete.output()).toBe(0);
    })();
    const counts = await workload;
    await chaos;
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(2000);
    expect(events.filter((event) => event.startsWith('sync killed during')).length, events.join('; ')).toBeGreaterThanOrEqual(1);
    expect(events.some((event) => event.startsWith('run killed during')), events.join('; ')).toBe(true);
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await differences(engine, sakila).catch((error: unknown) => [String(error)]);
        return last.length === 0;
      },
      { timeoutMs: 180_000, intervalMs: 1000, description: 'the indexes to equal the database' },
    ).catch(async (error: unknown) => {
      const details: string[] = [];
      for (const line of last) {
        const match = /^(films|customers): (\d+): unexpected/.exec(line);
        if (match === null) continue;
        const stored = await engine.get<Record<string, unknown>>(match[1] === 'films' ? sakila.filmIndex : sakila.customerIndex, match[2] ?? '');
        details.push(`${line.slice(0, 30)}: _version ${stored?._version ?? '?'} _sluice ${JSON.stringify(stored?._source._sluice)} batch ${String(stored?._source.batch_index_date)} last_updated ${String(stored?._source.last_updated)}`);
      }
      throw new Error(`${String(error)}\n${last.join('\n')}\n${details.join('\n')}\n${events.join('\n')}\n--- run ---\n${run.output().slice(-3000)}\n--- last sync ---\n${syncs.at(-1)?.output().slice(-3000) ?? ''}`);
    });
    process.stdout.write(`sync and run: ${events.join('; ')}\n`);
    expect(run.child.exitCode).toBeNull();
  }, 400_000);
});
