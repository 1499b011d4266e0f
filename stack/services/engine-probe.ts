import { describeError } from '../../src/errors.js';
import { missingModules, REQUIRED_MODULES } from '../../src/sinks/engine/capabilities.js';
import { detectEngine } from '../../src/sinks/engine/connect.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineKind } from '../../src/sinks/engine/search-engine.js';
import type { ProbeResult } from '../service.js';

const ENGINES = {
  elasticsearch: { name: 'Elasticsearch', majors: ['8'], variable: 'SLUICE_ES_NODE', modulesHelp: 'see README, "Elasticsearch modules"' },
  opensearch: { name: 'OpenSearch', majors: ['2', '3'], variable: 'SLUICE_OS_NODE', modulesHelp: 'see README, "OpenSearch modules"' },
} as const;

/**
 * Checks a search engine node as sluice will use it, through the engine port: the expected
 * distribution and major, cluster health at least yellow, and (as warnings) the modules sluice
 * needs that the node lacks.
 */
export async function probeSearchEngine(engine: EngineKind, node: string): Promise<ProbeResult> {
  const expected = ENGINES[engine];
  const settings = { engine, node, requestTimeoutMs: 5_000 } as const;
  try {
    const actual = await detectEngine(settings);
    const port = createEngine(actual, settings);
    try {
      const health = await port.clusterHealth('yellow', '2s');
      if (health.timedOut || health.status === 'red') return { healthy: false, reason: `cluster status ${health.status}` };
      const capabilities = await port.capabilities();
      if (actual !== engine || !expected.majors.some((major) => capabilities.version.startsWith(`${major}.`))) {
        return {
          healthy: false,
          reason: `${ENGINES[actual].name} ${capabilities.version}`,
          misconfiguration: {
            problem: `the node is ${ENGINES[actual].name} ${capabilities.version}, not ${expected.name} ${expected.majors.join('.x or ')}.x`,
            fix: `point ${expected.variable} at an ${expected.name} ${expected.majors.join('.x or ')}.x node`,
          },
        };
      }
      const warnings = missingModules(capabilities).map((name) => `module ${name} missing: no ${REQUIRED_MODULES[name]} (${expected.modulesHelp})`);
      return { healthy: true, details: `${expected.name} ${capabilities.version}, status ${health.status}`, warnings };
    } finally {
      await port.close();
    }
  } catch (error) {
    return { healthy: false, reason: describeError(error) };
  }
}
