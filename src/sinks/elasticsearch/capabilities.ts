import type { Client } from '@elastic/elasticsearch';

/**
 * What an Elasticsearch cluster can do that sluice relies on. The `integ-test-zip` distribution
 * (the only Elasticsearch 8 distribution on Maven Central) ships without the `lang-painless` and
 * `reindex` modules; the full distribution and the Docker image have both.
 */
export interface ClusterCapabilities {
  readonly version: string;
  readonly modules: readonly string[];
  /** Painless scripts (scripted upserts, stored scripts, reindex and migration scripts). */
  readonly painless: boolean;
  /** _reindex, _update_by_query and _delete_by_query. */
  readonly reindex: boolean;
}

/** The modules sluice needs beyond a bare node, with what each one provides. */
export const REQUIRED_MODULES: Readonly<Record<string, string>> = {
  'lang-painless': 'Painless scripts (scripted upserts, stored scripts, migrations)',
  reindex: '_reindex, _update_by_query and _delete_by_query',
};

/** Reads the version and the installed modules of every node; a capability needs all nodes to have it. */
export async function readClusterCapabilities(client: Client): Promise<ClusterCapabilities> {
  const info = await client.nodes.info({ metric: ['plugins'], filter_path: ['nodes.*.version', 'nodes.*.modules.name'] });
  const nodes = Object.values(info.nodes ?? {});
  const moduleSets = nodes.map((node) => new Set((node.modules ?? []).map((module) => module.name)));
  const modules = [...new Set(moduleSets.flatMap((set) => [...set]))].sort();
  const everyNodeHas = (name: string): boolean => moduleSets.length > 0 && moduleSets.every((set) => set.has(name));
  return {
    version: nodes[0]?.version ?? 'unknown',
    modules,
    painless: everyNodeHas('lang-painless'),
    reindex: everyNodeHas('reindex'),
  };
}

/** The required modules a cluster lacks. */
export function missingModules(capabilities: ClusterCapabilities): string[] {
  return Object.keys(REQUIRED_MODULES).filter((name) => !capabilities.modules.includes(name));
}
