import type { TestProject } from 'vitest/node';
import { readClusterCapabilities, type ClusterCapabilities } from '../../src/sinks/elasticsearch/capabilities.js';
import { createElasticsearchClient } from '../../src/sinks/elasticsearch/client.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, stackUp } from '../../stack/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    elasticsearchCapabilities: ClusterCapabilities;
  }
}

/**
 * Before the integration tests: brings the local stack up (reusing what already runs, or checking
 * the services named by SLUICE_* variables), then tells the tests what Elasticsearch can do.
 */
export default async function setup(project: TestProject): Promise<void> {
  const context = createStackContext();
  const reports = await stackUp(context);
  process.stdout.write(`\nservices for the integration tests:\n${formatReports(reports, {})}`);
  const client = createElasticsearchClient({ node: context.endpoints.elasticsearchNode });
  try {
    project.provide('elasticsearchCapabilities', await readClusterCapabilities(client));
  } finally {
    await client.close();
  }
}
