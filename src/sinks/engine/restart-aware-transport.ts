import { EngineError } from './engine-error.js';
import type { EngineRequest, EngineResponse, EngineTransport } from './engine-transport.js';

/** How long after a request the engine did not answer an "index not found" is taken for a restart's recovery. */
export const RESTART_RECOVERY_WINDOW_MS = 120_000;

/**
 * An engine transport that knows an engine coming back from a restart may deny its own indexes:
 * a node answers HTTP before its cluster state is recovered, and meanwhile says
 * `index_not_found_exception` for indexes that exist (elastic/elasticsearch#90215; seen on
 * OpenSearch 2.19 in sluice's engine-outage test). Such an answer within
 * {@link RESTART_RECOVERY_WINDOW_MS} of a request that got no answer at all (connection refused,
 * timeout) is marked retriable; any other error, and a missing index at any other time, passes
 * through unchanged (a missing index is then a permanent error).
 */
export class RestartAwareTransport implements EngineTransport {
  private lastUnansweredMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly inner: EngineTransport,
    private readonly now: () => number = Date.now,
  ) {}

  get kind(): EngineTransport['kind'] {
    return this.inner.kind;
  }

  async request<T>(request: EngineRequest, options?: { readonly signal?: AbortSignal; readonly ignore?: readonly number[] }): Promise<EngineResponse<T>> {
    try {
      return await this.inner.request<T>(request, options);
    } catch (error) {
      throw this.recovering(error);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Remembers when the engine did not answer; turns a missing index soon after into a retriable error. */
  private recovering(error: unknown): unknown {
    if (!(error instanceof EngineError)) return error;
    const now = this.now();
    if (error.status === 0 && !error.aborted) {
      this.lastUnansweredMs = now;
      return error;
    }
    const sinceUnanswered = now - this.lastUnansweredMs;
    if (error.type !== 'index_not_found_exception' || sinceUnanswered >= RESTART_RECOVERY_WINDOW_MS) return error;
    return new EngineError(
      `${error.message} (the engine did not answer ${Math.round(sinceUnanswered / 1000)} s ago: a node that has just restarted reports its indexes missing until it has recovered its cluster state)`,
      { status: error.status, type: error.type, retriable: true, cause: error, context: { engine: this.inner.kind } },
    );
  }
}
