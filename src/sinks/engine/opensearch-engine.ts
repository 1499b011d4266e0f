import { ConfigurationError } from '../../errors.js';
import type { EngineConnectionSettings } from './connection-settings.js';
import { EngineError, responseError } from './engine-error.js';
import { segment, type EngineRequest, type EngineResponse, type EngineTransport } from './engine-transport.js';
import { RestEngine } from './rest-engine.js';
import type { SearchEngine } from './search-engine.js';
import { RestartAwareTransport } from './restart-aware-transport.js';
import { opensearchErrors as errors, opensearchWire, type OpenSearchWire } from './opensearch-wire.js';

/** Maps an @opensearch-project/opensearch error to EngineError / EngineAccessError / ConfigurationError. */
export function opensearchError(request: EngineRequest, error: unknown): unknown {
  const what = `${request.method} ${request.path}`;
  if (error instanceof errors.ResponseError) return responseError('opensearch', what, error.statusCode ?? 0, error.body, error);
  if (error instanceof errors.RequestAbortedError) return new EngineError(`${what} was aborted`, { status: 0, aborted: true, cause: error });
  if (error instanceof errors.ConfigurationError) return new ConfigurationError(`the OpenSearch client refused its settings: ${error.message}`, 'correct the elasticsearch section of the pipeline file', { cause: error });
  if (error instanceof errors.OpenSearchClientError) return new EngineError(`${what} failed: ${error.name}: ${error.message}`, { status: 0, cause: error, context: { engine: 'opensearch' } });
  return error;
}

class OpenSearchTransport implements EngineTransport {
  readonly kind = 'opensearch' as const;

  constructor(private readonly wire: OpenSearchWire) {}

  async request<T>(request: EngineRequest, options: { signal?: AbortSignal; ignore?: readonly number[] } = {}): Promise<EngineResponse<T>> {
    const { signal } = options;
    if (signal?.aborted === true) throw new EngineError(`${request.method} ${request.path} was aborted`, { status: 0, aborted: true, cause: signal.reason });
    const pending = this.wire.request(
      {
        method: request.method,
        path: request.path,
        ...(request.querystring === undefined ? {} : { querystring: { ...request.querystring } }),
        ...(request.body === undefined ? {} : { body: request.body as Record<string, unknown> }),
        ...(request.bulkBody === undefined ? {} : { bulkBody: request.bulkBody }),
      },
      { maxRetries: 0, ...(options.ignore === undefined ? {} : { ignore: [...options.ignore] }) },
    );
    // a block, not `=> pending.abort()`: abort() returns the request (a thenable), and an abort
    // listener's returned thenable that rejects (it does: the request is aborted) is rethrown by
    // EventTarget as an uncaught exception, which stops the process
    const abort = (): void => {
      pending.abort();
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const response = await pending;
      return { status: response.statusCode ?? 0, body: response.body as T, headers: (response.headers ?? {}) as Record<string, string> };
    } catch (error) {
      throw opensearchError(request, error);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wire.connectionPool.empty(resolve);
    });
  }
}

/** The OpenSearch adapter (2.x and 3.x servers) over @opensearch-project/opensearch's transport. */
export function opensearchEngine(settings: EngineConnectionSettings): SearchEngine {
  return new RestEngine(new RestartAwareTransport(new OpenSearchTransport(opensearchWire(settings))), {
    tiebreaker: { _id: 'asc' },
    async open(engine, index, keepAlive) {
      const { body } = await engine.request<{ pit_id: string }>({ method: 'POST', path: `/${segment(index)}/_search/point_in_time`, querystring: { keep_alive: keepAlive } });
      return body.pit_id;
    },
    async close(engine, id) {
      await engine.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [id] } }, { ignore: [404] });
    },
  });
}
