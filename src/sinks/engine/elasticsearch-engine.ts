import { errors, type Transport } from '@elastic/transport';
import { ConfigurationError } from '../../errors.js';
import type { EngineConnectionSettings } from './connection-settings.js';
import { elasticsearchWire } from './elasticsearch-wire.js';
import { EngineError, responseError } from './engine-error.js';
import { segment, type EngineRequest, type EngineResponse, type EngineTransport } from './engine-transport.js';
import { RestEngine } from './rest-engine.js';
import type { SearchEngine } from './search-engine.js';
import { RestartAwareTransport } from './restart-aware-transport.js';

/** Maps an @elastic/transport error to EngineError / EngineAccessError / ConfigurationError. */
export function elasticsearchError(request: EngineRequest, error: unknown): unknown {
  const what = `${request.method} ${request.path}`;
  if (error instanceof errors.ResponseError) return responseError('elasticsearch', what, error.statusCode ?? 0, error.body, error);
  if (error instanceof errors.RequestAbortedError) return new EngineError(`${what} was aborted`, { status: 0, aborted: true, cause: error });
  if (error instanceof errors.ProductNotSupportedError) return new NotElasticsearchError(error);
  if (error instanceof errors.ConfigurationError) return new ConfigurationError(`the Elasticsearch client refused its settings: ${error.message}`, 'correct the elasticsearch section of the pipeline file', { cause: error });
  if (error instanceof errors.ElasticsearchClientError) return new EngineError(`${what} failed: ${error.name}: ${error.message}`, { status: 0, cause: error, context: { engine: 'elasticsearch' } });
  return error;
}

/** The node answered without Elasticsearch's X-elastic-product header: it is another product (OpenSearch). */
export class NotElasticsearchError extends ConfigurationError {
  constructor(cause: unknown) {
    super('the node is not Elasticsearch (no X-elastic-product header)', 'set engine: opensearch (or auto) in the pipeline file for an OpenSearch node', { cause });
  }
}

class ElasticsearchTransport implements EngineTransport {
  readonly kind = 'elasticsearch' as const;

  constructor(private readonly wire: Transport) {}

  async request<T>(request: EngineRequest, options: { signal?: AbortSignal; ignore?: readonly number[] } = {}): Promise<EngineResponse<T>> {
    try {
      const response = await this.wire.request(
        {
          method: request.method,
          path: request.path,
          ...(request.querystring === undefined ? {} : { querystring: { ...request.querystring } }),
          ...(request.body === undefined ? {} : { body: request.body as Record<string, unknown> }),
          ...(request.bulkBody === undefined ? {} : { bulkBody: request.bulkBody }),
        },
        { meta: true, maxRetries: 0, ...(options.ignore === undefined ? {} : { ignore: [...options.ignore] }), ...(options.signal === undefined ? {} : { signal: options.signal }) },
      );
      return { status: response.statusCode ?? 0, body: response.body as T, headers: response.headers ?? {} };
    } catch (error) {
      // an aborted signal with a reason comes back as a ConnectionError carrying that reason
      if (options.signal?.aborted === true && !(error instanceof errors.ResponseError)) {
        throw new EngineError(`${request.method} ${request.path} was aborted`, { status: 0, aborted: true, cause: error });
      }
      throw elasticsearchError(request, error);
    }
  }

  close(): Promise<void> {
    return this.wire.connectionPool.empty();
  }
}

/** Raw requests through the Elasticsearch client's transport, which checks the product header of every answer. */
export function elasticsearchTransport(settings: EngineConnectionSettings): EngineTransport {
  return new ElasticsearchTransport(elasticsearchWire(settings));
}

/** The Elasticsearch adapter (8.x and 9.x servers) over @elastic/elasticsearch's transport. */
export function elasticsearchEngine(settings: EngineConnectionSettings): SearchEngine {
  return new RestEngine(new RestartAwareTransport(elasticsearchTransport(settings)), {
    tiebreaker: { _shard_doc: 'asc' },
    async open(engine, index, keepAlive) {
      const { body } = await engine.request<{ id: string }>({ method: 'POST', path: `/${segment(index)}/_pit`, querystring: { keep_alive: keepAlive } });
      return body.id;
    },
    async close(engine, id) {
      await engine.request({ method: 'DELETE', path: '/_pit', body: { id } }, { ignore: [404] });
    },
  });
}
