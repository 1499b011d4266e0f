import type { EngineConnectionSettings } from './connection-settings.js';
import { responseError } from './engine-error.js';
import { getFromNode } from './node-probe.js';
import type { EngineKind, SearchEngine } from './search-engine.js';

// The engine adapters are imported on use: each pulls in its client library's transport (11 to 21
// MiB of resident memory), and a process needs one of them, or none (`sluice source`).

/**
 * Which engine a node is, without `GET /` (the stack's Elasticsearch has no rest-root module and
 * answers it 405): a `GET /_nodes/_local` whose answer carries Elasticsearch's X-elastic-product
 * header, or not (OpenSearch). It goes through node:http(s) (see node-probe.ts), so a sink on
 * OpenSearch never loads the Elasticsearch transport (about 21 MiB of resident memory); with an
 * API key or a CA fingerprint, settings only Elasticsearch has, it goes through the Elasticsearch
 * transport, which checks both. 401/403 throw an EngineAccessError, another error answer an
 * EngineError (retriable for 408, 429 and 5xx); an unreachable node a retriable EngineError.
 */
export async function detectEngine(settings: EngineConnectionSettings): Promise<EngineKind> {
  if (settings.apiKey !== undefined || settings.caFingerprint !== undefined) return detectThroughElasticsearchClient(settings);
  const answer = await getFromNode(settings, `${DETECTION_PATH}?filter_path=${DETECTION_FILTER}`);
  const engine: EngineKind = answer.product === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
  if (answer.status >= 300) throw responseError(engine, `GET ${DETECTION_PATH}`, answer.status, answer.body);
  return engine;
}

/** The request of {@link detectEngine}, either way: the local node's version only. */
const DETECTION_PATH = '/_nodes/_local';
const DETECTION_FILTER = 'nodes.*.version';

/** {@link detectEngine} through the Elasticsearch transport, which refuses an answer without its product header. */
async function detectThroughElasticsearchClient(settings: EngineConnectionSettings): Promise<EngineKind> {
  const { elasticsearchTransport, NotElasticsearchError } = await import('./elasticsearch-engine.js');
  const transport = elasticsearchTransport(settings);
  try {
    await transport.request({ method: 'GET', path: DETECTION_PATH, querystring: { filter_path: DETECTION_FILTER } });
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
