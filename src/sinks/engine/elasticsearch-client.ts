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
 * A raw @elastic/elasticsearch client, for tools beside the pipeline (the benchmark, the demo):
 * sluice itself talks to the engine through the port (connectEngine).
 */
export function createElasticsearchClient(settings: ElasticsearchClientSettings): Client {
  return new Client({
    node: settings.node,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    maxRetries: settings.maxRetries ?? 3,
  });
}
