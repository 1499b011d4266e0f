import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
// types only (erased): the entry point's typings name the classes the files below export
import type * as OpenSearch from '@opensearch-project/opensearch';
import { ConfigurationError } from '../../errors.js';
import { basicCredentials, nodeTlsOptions, type EngineConnectionSettings } from './connection-settings.js';

// The transport's own files, not the package's entry point: the entry point loads the Client,
// whose API is 533 modules (about 8 MiB of resident memory) that sluice never calls. They are
// CommonJS (`module.exports = Transport`), which their typings describe as default exports.
const requireLibrary = createRequire(import.meta.url);
const Transport = requireLibrary('@opensearch-project/opensearch/lib/Transport.js') as typeof OpenSearch.Transport;
const Connection = requireLibrary('@opensearch-project/opensearch/lib/Connection.js') as typeof OpenSearch.Connection;
const Serializer = requireLibrary('@opensearch-project/opensearch/lib/Serializer.js') as typeof OpenSearch.Serializer;
const { ConnectionPool } = requireLibrary('@opensearch-project/opensearch/lib/pool/index.js') as { ConnectionPool: typeof OpenSearch.ConnectionPool };

/** The transport of {@link opensearchWire}. */
export type OpenSearchWire = InstanceType<typeof Transport>;

/** The @opensearch-project/opensearch errors (the classes its transport throws). */
export const opensearchErrors = requireLibrary('@opensearch-project/opensearch/lib/errors.js') as typeof OpenSearch.errors;

/**
 * How @opensearch-project/opensearch's Client talks to one node, as plain options: the node URL,
 * the settings' basic credentials (without them the connection pool takes those written in the
 * node URL), TLS and the timeout. An API key or a CA fingerprint (Elasticsearch-only settings) is
 * refused with the fix.
 */
export interface OpenSearchWireOptions {
  readonly url: URL;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly ssl: ReturnType<typeof nodeTlsOptions>;
  readonly requestTimeoutMs: number;
}

/** The options of {@link opensearchWire}. */
export function opensearchWireOptions(settings: EngineConnectionSettings): OpenSearchWireOptions {
  if (settings.apiKey !== undefined) {
    throw new ConfigurationError('OpenSearch has no API keys', 'use username and password for an OpenSearch node (or engine: elasticsearch for an Elasticsearch node)');
  }
  if (settings.caFingerprint !== undefined) {
    throw new ConfigurationError('caFingerprint works with Elasticsearch only', 'give the CA certificate as caFile for an OpenSearch node');
  }
  return { url: new URL(settings.node), auth: basicCredentials(settings), ssl: nodeTlsOptions(settings), requestTimeoutMs: settings.requestTimeoutMs ?? 30_000 };
}

/**
 * The transport of @opensearch-project/opensearch's Client, set up as the Client sets it up (one
 * connection pool, no sniffing, no compression) but without the Client. It never retries by
 * itself (sluice decides). Close it with `connectionPool.empty(callback)`.
 */
export function opensearchWire(settings: EngineConnectionSettings): OpenSearchWire {
  const options = opensearchWireOptions(settings);
  const events = new EventEmitter();
  const emit = events.emit.bind(events);
  const connectionPool = new ConnectionPool({
    Connection,
    pingTimeout: 3000,
    resurrectStrategy: 'ping',
    ssl: options.ssl,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    emit,
    sniffEnabled: false,
  });
  connectionPool.addConnection(options.url.href);
  return new Transport({
    emit,
    connectionPool,
    serializer: new Serializer(),
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs,
    sniffEndpoint: '_nodes/_all/http',
    name: 'sluice',
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  });
}
