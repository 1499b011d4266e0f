import { Client } from '@elastic/elasticsearch';

/** Settings for {@link createElasticsearchClient}. */
export interface ElasticsearchClientSettings {
  readonly node: string;
  /** Per-request timeout. */
  readonly requestTimeoutMs?: number;
  /** How often the client itself retries a failed request on a connection error. */
  readonly maxRetries?: number;
}

/**
 * An @elastic/elasticsearch client (major 8, matching the server's major). It checks that the
 * server is Elasticsearch and opens connections lazily.
 */
export function createElasticsearchClient(settings: ElasticsearchClientSettings): Client {
  return new Client({
    node: settings.node,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    maxRetries: settings.maxRetries ?? 3,
  });
}
