import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { DEFAULT_HTTP_HOST, type PipelineConfig } from '../config/pipeline-config.js';
import { redactUrl } from '../config/redact-url.js';
import { defaultIndexName } from '../descriptors/compile-document.js';
import type { HttpEndpoint, HttpEndpointSettings } from '../observability/http-server.js';
import type { PipelineObserver, PipelineOutline } from '../observability/pipeline-observer.js';
import { observeRetries } from '../retry.js';
import type { SearchEngine } from '../sinks/engine/search-engine.js';
import { pipelineGroups, readGroupLag } from '../streams/consumer-lag.js';
import { sinkGroupId } from '../streams/consumer-groups.js';

/** How often the consumer lag is read and a throughput point is taken. */
const SAMPLE_INTERVAL_MS = 5_000;

/** Command-line overrides of the `http` section. */
export interface HttpOptions {
  /** `--http-port`: turns the endpoint on (on the file's host, or loopback). */
  readonly httpPort?: number;
}

/** The endpoint's settings from the file's `http` section and `--http-port`; undefined when neither turns it on. */
export function httpEndpointSettings(config: PipelineConfig, options: HttpOptions = {}): HttpEndpointSettings | undefined {
  const port = options.httpPort ?? config.http?.port;
  if (port === undefined) return undefined;
  return { host: config.http?.host ?? DEFAULT_HTTP_HOST, port, stallTimeoutMs: config.http?.stallTimeoutMs ?? 120_000, lagStaleMs: SAMPLE_INTERVAL_MS * 4 };
}

/** The pipeline as the status page draws it (no secrets). */
export function pipelineOutline(config: PipelineConfig, command: string): PipelineOutline {
  const url = new URL(redactUrl(config.source.mysql.url));
  return {
    pipeline: config.pipeline,
    command,
    source: `mysql ${url.host} [${config.source.mysql.databases.join(', ')}]`,
    topicPrefix: config.kafka.topicPrefix,
    documents: Object.entries(config.documents).map(([name, document]) => ({ name, index: document.index ?? defaultIndexName(config.pipeline, name) })),
  };
}

/**
 * The observability of one running command: the metrics, the observer the pipeline's hooks feed,
 * the HTTP endpoint, and (for a sink) the consumer lag read every few seconds. Created only when
 * the endpoint is turned on (`http` in the file or `--http-port`).
 */
export class Observability {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopObservingRetries: () => void;

  private constructor(
    readonly observer: PipelineObserver,
    private readonly endpoint: HttpEndpoint,
    private readonly logger: Logger,
  ) {
    this.stopObservingRetries = observeRetries((event, error) => observer.failure(event === 'retried', error));
    this.timers.push(setInterval(() => observer.sample(), SAMPLE_INTERVAL_MS));
  }

  /** Starts the endpoint when the file or the options turn it on; undefined otherwise. */
  static async start(config: PipelineConfig, command: string, options: HttpOptions, logger: Logger): Promise<Observability | undefined> {
    const settings = httpEndpointSettings(config, options);
    if (settings === undefined) return undefined;
    // loaded here, with prom-client, only for a process that serves the endpoint
    const [{ SluiceMetrics }, { PipelineObserver }, { startHttpEndpoint }] = await Promise.all([
      import('../observability/metrics.js'),
      import('../observability/pipeline-observer.js'),
      import('../observability/http-server.js'),
    ]);
    const metrics = new SluiceMetrics(config.pipeline, command);
    const observer = new PipelineObserver(pipelineOutline(config, command), metrics);
    const endpoint = await startHttpEndpoint(settings, observer, metrics);
    logger.info({ url: endpoint.url }, 'HTTP endpoint listening (/, /metrics, /health/live, /health/ready)');
    return new Observability(observer, endpoint, logger);
  }

  /** The URL the endpoint answers on. */
  get url(): string {
    return this.endpoint.url;
  }

  /** The engine with every bulk request timed and measured. */
  instrumentEngine(engine: SearchEngine): SearchEngine {
    const observer = this.observer;
    return new Proxy(engine, {
      get(target, property, receiver) {
        if (property === 'bulk') {
          return async (body: string | Buffer, options?: Parameters<SearchEngine['bulk']>[1]) => {
            const started = performance.now();
            try {
              const result = await target.bulk(body, options);
              // one item per operation: the body is scanned for its operations only when the request failed
              observer.bulkRequest(performance.now() - started, result.items.length, Buffer.byteLength(body), true);
              return result;
            } catch (error) {
              observer.bulkRequest(performance.now() - started, countOperations(body), Buffer.byteLength(body), false);
              throw error;
            }
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Reads the lag of the pipeline's sink groups every few seconds until `signal` aborts. */
  watchConsumerLag(kafka: Kafka, config: PipelineConfig, signal: AbortSignal): void {
    const admin = kafka.admin();
    let connected: Promise<void> | undefined;
    let running = false;
    const read = async (): Promise<void> => {
      if (running || signal.aborted) return;
      running = true;
      try {
        connected ??= admin.connect();
        await connected;
        const sinkGroup = sinkGroupId(config.pipeline);
        const groups = new Set([sinkGroup, ...(await pipelineGroups(admin, sinkGroup))]);
        const lags = [];
        for (const group of groups) lags.push(await readGroupLag(admin, group, config.kafka.topicPrefix));
        this.observer.lagRead(lags);
      } catch (error) {
        connected = undefined;
        this.observer.lagFailed(error);
        this.logger.debug({ err: error }, 'reading the consumer lag failed');
      } finally {
        running = false;
      }
    };
    void read();
    const timer = setInterval(() => void read(), SAMPLE_INTERVAL_MS);
    this.timers.push(timer);
    signal.addEventListener('abort', () => {
      clearInterval(timer);
      void admin.disconnect().catch(() => undefined);
    }, { once: true });
  }

  /** Stops the endpoint and the timers. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.stopObservingRetries();
    await this.endpoint.close();
  }
}

/** Operations in an NDJSON bulk body: an action line, then a source line unless the action is a delete. */
function countOperations(body: string | Buffer): number {
  let count = 0;
  let expectSource = false;
  for (const line of (typeof body === 'string' ? body : body.toString('utf8')).split('\n')) {
    if (line === '') continue;
    if (expectSource) {
      expectSource = false;
      continue;
    }
    count += 1;
    expectSource = !line.startsWith('{"delete"');
  }
  return count;
}
