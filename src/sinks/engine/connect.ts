import type { EngineConnectionSettings } from './connection-settings.js';
import type { EngineKind, SearchEngine } from './search-engine.js';

// The engine adapters are imported on use: each pulls in its client library (20 to 30 MiB of
// resident memory), and a process needs one of them, or none (`sluice source`).

/**
 * Which engine a node is, without `GET /` (the stack's Elasticsearch has no rest-root module and
 * answers it 405): a `_nodes` request through the Elasticsearch client, which checks the
 * X-elastic-product header of every answer and refuses any other product. 401/403 throw an
 * EngineAccessError; an unreachable node a retriable EngineError.
 */
export async function detectEngine(settings: EngineConnectionSettings): Promise<EngineKind> {
  const { elasticsearchTransport, NotElasticsearchError } = await import('./elasticsearch-engine.js');
  const transport = elasticsearchTransport(settings);
  try {
    await transport.request({ method: 'GET', path: '/_nodes/_local', querystring: { filter_path: 'nodes.*.version' } });
    return 'elasticsearch';
  } catch (error) {
    if (error instanceof NotElasticsearchError) return 'opensearch';
    throw error;
  } finally {
    await transport.close();
  }
}

/** The port for the configured engine, loading only its adapter; `auto` asks the node first (see {@link detectEngine}). */
export async function connectEngine(settings: EngineConnectionSettings): Promise<SearchEngine> {
  const engine = settings.engine === 'auto' ? await detectEngine(settings) : settings.engine;
  if (engine === 'elasticsearch') return (await import('./elasticsearch-engine.js')).elasticsearchEngine(settings);
  return (await import('./opensearch-engine.js')).opensearchEngine(settings);
}
