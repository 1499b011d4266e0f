import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { removeChannelsAtCleanup, testEngine } from '../helpers/engines.js';
import { prepareSakilaPipeline, sakilaDifferences } from '../helpers/sakila-pipeline.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { Cleanup } from '../helpers/services.js';
import { startSluice, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

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
    removeChannelsAtCleanup(cleanup, engine, [sakila.filmIndex, sakila.customerIndex]);
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
        last = await sakilaDifferences(engine, sakila).catch((error: unknown) => [String(error)]);
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
