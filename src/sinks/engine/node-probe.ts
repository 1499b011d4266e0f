import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { nodeTlsOptions, type EngineConnectionSettings } from './connection-settings.js';
import { EngineError } from './engine-error.js';

/** What a node answered to one GET: its status, its X-elastic-product header and its body (JSON, or the text when it is not JSON). */
export interface NodeAnswer {
  readonly status: number;
  /** The X-elastic-product header, which every Elasticsearch 7.14+ answer carries and no OpenSearch answer does. */
  readonly product: string | undefined;
  readonly body: unknown;
}

/** The largest answer read; a `_nodes` answer cut by `filter_path` is far smaller. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * One GET of `path` (with its query string) on the node of `settings`, through node:http(s) and no
 * client library, so that a process asks which engine it talks to before it loads either client.
 * It sends the basic credentials (of the settings, or of the node URL), verifies TLS as the
 * clients do (`tlsVerify`, `caFile`) and keeps a path prefix of the node URL. No answer (refused,
 * reset, TLS failure, `requestTimeoutMs` passed) throws a retriable EngineError; any answer,
 * error statuses included, resolves. An API key or a CA fingerprint (Elasticsearch-only
 * settings) is not handled here.
 */
export function getFromNode(settings: EngineConnectionSettings, path: string): Promise<NodeAnswer> {
  const url = new URL(settings.node);
  const prefix = url.pathname.replace(/\/+$/, '');
  const username = settings.username ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  const password = settings.username !== undefined ? (settings.password ?? '') : decodeURIComponent(url.password);
  const secure = url.protocol === 'https:';
  const options = {
    method: 'GET',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${prefix}${path}`,
    headers: { accept: 'application/json', ...(username === undefined ? {} : { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }) },
    timeout: settings.requestTimeoutMs ?? 30_000,
    ...(secure ? nodeTlsOptions(settings) : {}),
  };
  const what = `GET ${path.split('?')[0] ?? path}`;
  return new Promise<NodeAnswer>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(options, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      response.on('error', (error) => reject(noAnswer(what, settings.node, error)));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON (a proxy's page, an empty answer): kept as text for the error message
        }
        const product = response.headers['x-elastic-product'];
        resolve({ status: response.statusCode ?? 0, product: Array.isArray(product) ? product[0] : product, body });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeout} ms`)));
    request.on('error', (error) => reject(noAnswer(what, settings.node, error)));
    request.end();
  });
}

function noAnswer(what: string, node: string, error: Error): EngineError {
  const code = (error as NodeJS.ErrnoException).code;
  return new EngineError(`${what} on ${new URL(node).origin} failed: ${code === undefined ? '' : `${code}: `}${error.message}`, { status: 0, cause: error, context: { engine: 'auto' } });
}
