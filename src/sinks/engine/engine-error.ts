import { ConfigurationError, SluiceError } from '../../errors.js';
import type { EngineErrorCause, EngineKind } from './search-engine.js';

/**
 * A failed request to the search engine. `status` is the HTTP status (0 when there was no
 * answer: connection refused, timeout, aborted); `cause` keeps the client's error. Retriable:
 * no answer, 408, 429 and 5xx, unless `retriable` says otherwise.
 */
export class EngineError extends SluiceError {
  readonly status: number;
  /** The engine's error type (e.g. resource_already_exists_exception), when it answered one. */
  readonly type: string | undefined;
  readonly aborted: boolean;

  constructor(message: string, options: { status: number; type?: string; aborted?: boolean; retriable?: boolean; cause?: unknown; context?: Record<string, unknown> }) {
    const { status } = options;
    super(message, { cause: options.cause, context: { ...options.context, status }, retriable: options.retriable ?? (status === 0 || status === 408 || status === 429 || status >= 500) });
    this.status = status;
    this.type = options.type;
    this.aborted = options.aborted ?? false;
  }
}

/**
 * 401 or 403: the credentials are wrong or lack a privilege. Retrying cannot help, so it is a
 * ConfigurationError: sluice stops and says what to fix.
 */
export class EngineAccessError extends ConfigurationError {
  readonly status: number;

  constructor(engine: EngineKind, status: number, reason: string, cause?: unknown) {
    super(
      `${engine === 'elasticsearch' ? 'Elasticsearch' : 'OpenSearch'} refused the request: ${status} ${reason}`,
      status === 401
        ? 'check the credentials of the elasticsearch section (username and password, or apiKey) of the pipeline file'
        : "grant the user the index privileges sluice needs (create_index, write, read, manage on the documents' indexes) or use other credentials",
      { cause, context: { status } },
    );
    this.status = status;
  }
}

/**
 * `type: reason`, followed by the `caused_by` chain (`(caused by type: reason)`), of an engine
 * error object; a readable text for logs and dead letters.
 */
export function describeErrorCause(cause: EngineErrorCause | undefined | null): string {
  const parts: string[] = [];
  let current = cause ?? undefined;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    parts.push(current.reason === undefined || current.reason === null ? current.type : `${current.type}: ${current.reason}`);
    current = current.caused_by;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(' (caused by ') + ')'.repeat(parts.length - 1);
}

/** Builds the EngineError (or EngineAccessError) of an HTTP error answer. */
export function responseError(engine: EngineKind, request: string, status: number, body: unknown, cause?: unknown): EngineError | EngineAccessError {
  const error = typeof body === 'object' && body !== null && 'error' in body ? (body).error : undefined;
  const type = typeof error === 'object' && error !== null && 'type' in error ? String((error as EngineErrorCause).type) : undefined;
  const reason =
    type !== undefined ? describeErrorCause(error as EngineErrorCause) : typeof error === 'string' ? error : typeof body === 'string' && body !== '' ? body.slice(0, 200) : 'no reason given';
  if (status === 401 || status === 403) return new EngineAccessError(engine, status, reason, cause);
  return new EngineError(`${request} answered ${status} ${reason}`, { status, ...(type === undefined ? {} : { type }), cause, context: { engine } });
}
