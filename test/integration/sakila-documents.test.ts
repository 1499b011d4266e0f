import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { testEngine, testEngines } from '../helpers/engines.js';
import { Cleanup } from '../helpers/services.js';
import { prepareSakilaPipeline, sakilaDifferences, waitForSakilaInStep } from '../helpers/sakila-pipeline.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { startSluice, type SluiceProcess } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(testEngines())('sluice run on Sakila, writing to %s', (kind) => {
  it.each([
    ['in the sink', undefined],
    ['films made as JSON by MariaDB (buildIn: database)', 'database'],
  ] as const)('builds every film and customer document, then follows 5,000 random mutations exactly: %s', async (_, filmsBuildIn) => {
    const elasticsearch = testEngine(kind, cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch, {}, filmsBuildIn);
    const run = startSluice(['run', '-c', sakila.file], cleanup);
    await waitForSakilaInStep(elasticsearch, sakila, 120_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- sluice output ---\n${run.output().slice(-4000)}`);
    });
    const counts = await runSakilaWorkload(sakila.connection, sakila.database, { mutations: 5000, seed: 4 });
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(5000);
    await waitForSakilaInStep(elasticsearch, sakila, 180_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- sluice output ---\n${run.output().slice(-4000)}`);
    });
    expect(await sakilaDifferences(elasticsearch, sakila)).toEqual([]);
    expect(run.child.exitCode).toBeNull();
  }, 400_000);

  it('stays exact with two sink processes sharing the work, killed -9 at 5 random moments during 5,000 mutations', async () => {
    const elasticsearch = testEngine(kind, cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch, { pageSize: 200 });
    const source = startSluice(['source', '-c', sakila.file], cleanup);
    const sinks: SluiceProcess[] = [startSluice(['sink', '-c', sakila.file], cleanup), startSluice(['sink', '-c', sakila.file], cleanup)];
    const output = (): string => `--- source ---\n${source.output().slice(-2000)}\n--- sinks ---\n${sinks.map((sink) => sink.output().slice(-2000)).join('\n')}`;
    let writing = true;
    const kills: string[] = [];
    const killer = (async () => {
      for (let kill = 0; kill < 5; kill += 1) {
        await sleep(2_500 + Math.random() * 4_000);
        const victim = Math.floor(Math.random() * sinks.length);
        const sink = sinks[victim];
        if (sink === undefined) continue;
        sink.child.kill('SIGKILL');
        expect(await sink.exited).toBe(137);
        kills.push(`sink ${victim} killed ${writing ? 'during' : 'after'} the workload`);
        sinks[victim] = startSluice(['sink', '-c', sakila.file], cleanup);
      }
    })();
    const counts = await runSakilaWorkload(sakila.connection, sakila.database, {
      mutations: 5000,
      seed: 11,
      // paced (about 20 s in all) so that the kills land while changes flow
      onMutation: async (index) => {
        if (index % 25 === 0) await sleep(100);
      },
    });
    writing = false;
    await killer;
    expect(kills).toHaveLength(5);
    expect(kills.filter((kill) => kill.includes('during')).length, kills.join(', ')).toBeGreaterThanOrEqual(3);
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(5000);
    await waitForSakilaInStep(elasticsearch, sakila, 240_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    expect(source.child.exitCode).toBeNull();
  }, 400_000);
});
