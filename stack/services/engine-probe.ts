import { ENDPOINT_VARIABLES } from '../../src/config/endpoints.js';
import { describeError } from '../../src/errors.js';
import { REQUIRED_MODULES } from '../../src/sinks/elasticsearch/capabilities.js';
import type { ProbeResult } from '../service.js';

/** The majors each engine's service accepts. */
const SUPPORTED_MAJORS = { elasticsearch: ['8'], opensearch: ['2', '3'] } as const;

/**
 * Checks a search engine node as sluice will use it: cluster health at least yellow, the expected
 * distribution and major, and (as warnings) the modules sluice needs that the node lacks.
 */
export async function probeSearchEngine(engine: 'opensearch', node: string): Promise<ProbeResult> {
  try {
    const health = await getJson<{ status: string; timed_out: boolean }>(node, '/_cluster/health?wait_for_status=yellow&timeout=2s');
    if (health.body.timed_out || health.body.status === 'red') return { healthy: false, reason: `cluster status ${health.body.status}` };
    const nodes = await getJson<{ nodes?: Record<string, { version?: string; distribution?: string; modules?: Array<{ name: string }> }> }>(
      node,
      '/_nodes/plugins?filter_path=nodes.*.version,nodes.*.modules.name',
    );
    const all = Object.values(nodes.body.nodes ?? {});
    const version = all[0]?.version ?? 'unknown';
    const isElasticsearch = health.headers.get('x-elastic-product') === 'Elasticsearch';
    const distribution = isElasticsearch ? 'elasticsearch' : 'opensearch';
    if (distribution !== engine || !SUPPORTED_MAJORS[engine].some((major) => version.startsWith(`${major}.`))) {
      return {
        healthy: false,
        reason: `${distribution} ${version}`,
        misconfiguration: {
          problem: `the node is ${distribution} ${version}, not ${engine} ${SUPPORTED_MAJORS[engine].join('.x or ')}.x`,
          fix: `point ${ENDPOINT_VARIABLES.opensearchNode} at an OpenSearch 2.x or 3.x node`,
        },
      };
    }
    const moduleSets = all.map((info) => new Set((info.modules ?? []).map((module) => module.name)));
    const warnings = Object.keys(REQUIRED_MODULES)
      .filter((name) => !moduleSets.every((set) => set.has(name)))
      .map((name) => `module ${name} missing: no ${REQUIRED_MODULES[name]}`);
    return { healthy: true, details: `OpenSearch ${version}, status ${health.body.status}`, warnings };
  } catch (error) {
    return { healthy: false, reason: describeError(error) };
  }
}

async function getJson<T>(node: string, path: string): Promise<{ body: T; headers: Headers }> {
  const response = await fetch(new URL(path, node), { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return { body: (await response.json()) as T, headers: response.headers };
}
