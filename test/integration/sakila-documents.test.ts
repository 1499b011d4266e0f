import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, testElasticsearch } from '../helpers/services.js';
import { prepareSakilaPipeline, sakilaDifferences, waitForSakilaInStep } from '../helpers/sakila-pipeline.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { startSluice } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('sluice run on Sakila', () => {
  it('builds every film and customer document, then follows 5,000 random mutations exactly', async () => {
    const elasticsearch = testElasticsearch(cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch);
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
});
