import type { EngineKind } from './search-engine.js';

/** One HTTP request to the engine. */
export interface EngineRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  readonly path: string;
  readonly querystring?: Readonly<Record<string, string | number | boolean>>;
  /** A JSON body. */
  readonly body?: unknown;
  /** An NDJSON body sent as is (bulk): text, or its UTF-8 bytes. */
  readonly bulkBody?: string | Buffer;
}

/** The answer to an {@link EngineRequest}. */
export interface EngineResponse<T> {
  readonly status: number;
  readonly body: T;
  /** Response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * What an adapter gives the shared implementation: a client's transport, its errors mapped to
 * EngineError / EngineAccessError. The client never retries by itself (sluice decides).
 */
export interface EngineTransport {
  readonly kind: EngineKind;
  /** Resolves for 2xx and for the statuses in `ignore`; throws an EngineError otherwise. */
  request<T>(request: EngineRequest, options?: { readonly signal?: AbortSignal; readonly ignore?: readonly number[] }): Promise<EngineResponse<T>>;
  close(): Promise<void>;
}

/** A path segment, URL-encoded (index names, ids). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
