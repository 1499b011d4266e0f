import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, describeError } from '../errors.js';
import type { SluiceMetrics } from './metrics.js';
import type { PipelineObserver } from './pipeline-observer.js';
import { assessReadiness, type ReadinessSettings } from './readiness.js';
import { renderStatusPage } from './status-page.js';

/** Where the HTTP endpoint listens. */
export interface HttpEndpointSettings extends ReadinessSettings {
  readonly host: string;
  readonly port: number;
}

/** A listening HTTP endpoint. */
export interface HttpEndpoint {
  /** The URL it answers on (`http://127.0.0.1:9464`), with the port chosen when 0 was asked. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves, for one running sluice process: `/metrics` (Prometheus text format), `/health/live`
 * (200 while the process answers), `/health/ready` (200 when ready, 503 with the reasons
 * otherwise; JSON), `/status.json` (what the page shows) and `/` (the status page). Only GET and
 * HEAD; anything else is 404/405.
 */
export async function startHttpEndpoint(settings: HttpEndpointSettings, observer: PipelineObserver, metrics: SluiceMetrics): Promise<HttpEndpoint> {
  const readiness = (): ReturnType<typeof assessReadiness> => {
    const result = assessReadiness(observer.snapshot(), settings);
    metrics.ready.set(result.ready ? 1 : 0);
    return result;
  };
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
    switch (path) {
      case '/metrics': {
        observer.refreshCapture();
        readiness();
        return send(response, 200, metrics.contentType, await metrics.render());
      }
      case '/health/live':
        return send(response, 200, 'application/json', JSON.stringify({ live: true, pipeline: observer.outline.pipeline }));
      case '/health/ready': {
        const result = readiness();
        return send(response, result.ready ? 200 : 503, 'application/json', JSON.stringify({ ready: result.ready, pipeline: observer.outline.pipeline, reasons: result.reasons }));
      }
      case '/status.json':
        return send(response, 200, 'application/json', JSON.stringify({ ...observer.snapshot(), readiness: readiness() }));
      case '/':
        return send(response, 200, 'text/html; charset=utf-8', renderStatusPage(observer.snapshot(), readiness()));
      default:
        return send(response, 404, 'text/plain; charset=utf-8', 'not found: try /, /metrics, /health/live, /health/ready, /status.json\n');
    }
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, 'text/plain; charset=utf-8', `${describeError(error)}\n`));
  });
  await listen(server, settings);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, settings: HttpEndpointSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void =>
      reject(new ConfigurationError(`the HTTP endpoint cannot listen on ${settings.host}:${settings.port}: ${error.code ?? error.message}`, 'choose a free port (http.port in the pipeline file or --http-port) or an address of this machine (http.host)', { cause: error }));
    server.once('error', failed);
    server.listen(settings.port, settings.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
