import { Diagnostic, Serializer, Transport, UndiciConnection, WeightedConnectionPool } from '@elastic/transport';
import { ConfigurationError } from '../../errors.js';
import { basicCredentials, nodeTlsOptions, type EngineConnectionSettings } from './connection-settings.js';

/**
 * How @elastic/elasticsearch's Client talks to one node, as plain options: the node URL and its
 * connection defaults (auth, TLS, CA fingerprint, timeout). The credentials are the settings'
 * (an API key first); without them the connection pool takes those written in the node URL.
 */
export interface ElasticsearchWireOptions {
  readonly url: URL;
  readonly auth: { readonly username: string; readonly password: string } | { readonly apiKey: string } | undefined;
  readonly tls: ReturnType<typeof nodeTlsOptions>;
  readonly caFingerprint: string | undefined;
  readonly requestTimeoutMs: number;
}

/** The options of {@link elasticsearchWire}; a CA fingerprint on an http:// node is refused with the fix. */
export function elasticsearchWireOptions(settings: EngineConnectionSettings): ElasticsearchWireOptions {
  const url = new URL(settings.node);
  if (settings.caFingerprint !== undefined && url.protocol === 'http:') {
    throw new ConfigurationError(`caFingerprint is set but the node ${url.origin} is http://`, 'give the node as https:// or remove caFingerprint from the elasticsearch section of the pipeline file');
  }
  const auth = settings.apiKey !== undefined ? { apiKey: settings.apiKey } : basicCredentials(settings);
  return { url, auth, tls: nodeTlsOptions(settings), caFingerprint: settings.caFingerprint, requestTimeoutMs: settings.requestTimeoutMs ?? 30_000 };
}

/** The content types @elastic/elasticsearch 8.x sends, which Elasticsearch 8.x and 9.x both take. */
const COMPATIBLE_WITH_8 = {
  jsonContentType: 'application/vnd.elasticsearch+json; compatible-with=8',
  ndjsonContentType: 'application/vnd.elasticsearch+x-ndjson; compatible-with=8',
  accept: 'application/vnd.elasticsearch+json; compatible-with=8,text/plain',
};

/**
 * The transport of @elastic/elasticsearch's Client, set up as the Client sets it up (undici
 * connections, the Elasticsearch product check of every answer, the compatible-with=8 content
 * types) but without the Client: sluice sends raw requests only, and the Client also loads its
 * API and helpers (apache-arrow among them), about 8 MiB of resident memory a process never uses.
 * It never retries by itself (sluice decides). Close it with `connectionPool.empty()`.
 */
export function elasticsearchWire(settings: EngineConnectionSettings): Transport {
  const options = elasticsearchWireOptions(settings);
  const diagnostic = new Diagnostic();
  const connectionPool = new WeightedConnectionPool({
    Connection: UndiciConnection,
    diagnostic,
    tls: options.tls,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.caFingerprint === undefined ? {} : { caFingerprint: options.caFingerprint }),
  });
  // the pool gives the connection its TLS, credentials and fingerprint
  connectionPool.addConnection({ url: options.url, timeout: options.requestTimeoutMs });
  return new Transport({
    diagnostic,
    connectionPool,
    serializer: new Serializer(),
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs,
    compression: false,
    name: 'sluice',
    productCheck: 'Elasticsearch',
    vendoredHeaders: COMPATIBLE_WITH_8,
  });
}
