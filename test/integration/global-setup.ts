import type { TestProject } from 'vitest/node';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineCapabilities, EngineKind } from '../../src/sinks/engine/search-engine.js';
import { endpointsFromEnvironment } from '../../src/config/endpoints.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, stackUp } from '../../stack/stack.js';
import { testKafka } from '../helpers/services.js';
import { deleteStaleTestTopics } from '../helpers/stale-test-topics.js';

declare module 'vitest' {
  export interface ProvidedContext {
    engineCapabilities: Record<EngineKind, EngineCapabilities>;
  }
}

/**
 * Before the integration tests: brings the local stack up (reusing what already runs, or checking
 * the services named by SLUICE_* variables), deletes the topics of earlier runs, then tells the
 * tests what each engine can do.
 */
export default async function setup(project: TestProject): Promise<void> {
  const context = createStackContext();
  const reports = await stackUp(context);
  process.stdout.write(`\nservices for the integration tests:\n${formatReports(reports, {})}`);
  const sweep = await deleteStaleTestTopics(testKafka());
  if (sweep.deleted > 0) process.stdout.write(`deleted ${sweep.deleted} topics left by test runs over an hour ago\n`);
  if (sweep.remaining > 0) process.stdout.write(`warning: ${sweep.remaining} topics of earlier test runs could not be deleted\n`);
  const endpoints = endpointsFromEnvironment();
  const nodes: Record<EngineKind, string> = { elasticsearch: endpoints.elasticsearchNode, opensearch: endpoints.opensearchNode };
  const capabilities = {} as Record<EngineKind, EngineCapabilities>;
  for (const kind of ['elasticsearch', 'opensearch'] as const) {
    const engine = createEngine(kind, { engine: kind, node: nodes[kind] });
    try {
      capabilities[kind] = await engine.capabilities();
    } finally {
      await engine.close();
    }
  }
  project.provide('engineCapabilities', capabilities);
}
