import type { EngineCapabilities } from './search-engine.js';

/** The modules sluice needs beyond a bare node, with what each one provides. */
export const REQUIRED_MODULES: Readonly<Record<string, string>> = {
  'lang-painless': 'Painless scripts (scripted upserts, stored scripts, migrations)',
  reindex: '_reindex, _update_by_query and _delete_by_query',
};

/**
 * The required modules a cluster lacks. The Elasticsearch integ-test-zip (the only Elasticsearch
 * 8 distribution on Maven Central) has neither; the stack's OpenSearch node has both.
 */
export function missingModules(capabilities: EngineCapabilities): string[] {
  return Object.keys(REQUIRED_MODULES).filter((name) => !capabilities.modules.includes(name));
}
