import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { elasticsearchService } from '../../stack/services/elasticsearch.js';
import { opensearchService } from '../../stack/services/opensearch.js';
import { createStackContext, isExternal, stackDown, stackUp } from '../../stack/stack.js';
import { prepareSakilaPipeline, waitForSakilaInStep } from '../helpers/sakila-pipeline.js';
import { runSakilaWorkload } from '../helpers/sakila-workload.js';
import { testEngine, testEngines } from '../helpers/engines.js';
import { Cleanup } from '../helpers/services.js';
import { startSluice } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OUTAGE_MS = 60_000;
const stack = createStackContext();

const SERVICES = { elasticsearch: elasticsearchService, opensearch: opensearchService } as const;

describe.each(testEngines().filter((kind) => !isExternal(SERVICES[kind], stack.endpoints)))('%s stopped for 60 seconds mid-stream', (kind) => {
  const service = SERVICES[kind];
  it('holds the pages, retries, commits nothing early and ends exactly in step', async () => {
    const elasticsearch = testEngine(kind, cleanup);
    const sakila = await prepareSakilaPipeline(cleanup, elasticsearch);
    const run = startSluice(['run', '-c', sakila.file], cleanup);
    await waitForSakilaInStep(elasticsearch, sakila, 120_000);
    let mutations = 0;
    const workload = runSakilaWorkload(sakila.connection, sakila.database, {
      mutations: 5000,
      seed: 23,
      // about 75 s in all: changes flow before, during and after the outage
      onMutation: async () => {
        mutations += 1;
        await sleep(15);
      },
    });
    await sleep(5_000);
    await stackDown(stack, { services: [service] });
    const mutationsAtOutage = mutations;
    await sleep(OUTAGE_MS);
    const duringOutage = mutations - mutationsAtOutage;
    await stackUp(stack, [service]);
    expect(run.child.exitCode, `sluice kept running while ${kind} was down`).toBeNull();
    await workload;
    process.stdout.write(`${kind} down for ${OUTAGE_MS / 1000} s while ${duringOutage} mutations were made\n`);
    expect(duringOutage).toBeGreaterThan(1000);
    await waitForSakilaInStep(elasticsearch, sakila, 240_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- sluice output ---\n${run.output().slice(-4000)}`);
    });
    expect(run.output(), 'the outage was noticed and retried').toMatch(/retrying|ConnectionError|ECONNREFUSED/);
    expect(run.child.exitCode).toBeNull();
  }, 600_000);
});
