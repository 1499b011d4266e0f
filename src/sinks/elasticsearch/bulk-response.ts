import { errors } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { classifyError } from '../../classify-error.js';
import { describeError } from '../../errors.js';

/**
 * One write of a bulk channel. `version` makes the write conditional (`version_type:
 * external_gte`): Elasticsearch applies it only when no newer version of the document is there.
 */
export type BulkOperation =
  | {
      kind: 'index';
      index: string;
      id: string;
      document: Record<string, unknown>;
      /** `document` already serialized (exactly JSON.stringify(document)), so it is not serialized twice. */
      json?: string;
      version?: number;
    }
  | { kind: 'delete'; index: string; id: string; version?: number };

/** What became of one item of a bulk response, as decided by {@link classifyItem}. */
export type ItemVerdict =
  | { readonly kind: 'acknowledged' }
  | { readonly kind: 'superseded' }
  | { readonly kind: 'retry'; readonly reason: string; readonly httpStatus: number }
  | { readonly kind: 'reject'; readonly reason: string; readonly httpStatus: number };

/** What to do after a whole bulk request failed, as decided by {@link classifyRequestError}. */
export type RequestVerdict =
  /** Transient (429, 5xx, 408, connection error, timeout): send the same request again after a backoff. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** The request as a whole was refused (413, other 4xx): split it to find the culprit; a single item is rejected. */
  | { readonly kind: 'split'; readonly reason: string; readonly httpStatus: number }
  /** A bug or a permanent error (401/403): fail the operations, don't retry. */
  | { readonly kind: 'fail' };

/** Item statuses Elasticsearch returns for momentary overload or failure: the item is sent again. */
const RETRIABLE_ITEM_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * The NDJSON lines of one operation (action line, then the source line for `index`), each ending
 * in a newline, ready to be concatenated into a bulk body.
 */
export function serializeOperation(operation: BulkOperation): string {
  const meta: Record<string, unknown> = { _index: operation.index, _id: operation.id };
  if (operation.version !== undefined) {
    meta.version = operation.version;
    meta.version_type = 'external_gte';
  }
  if (operation.kind === 'delete') return `${JSON.stringify({ delete: meta })}\n`;
  return `${JSON.stringify({ index: meta })}\n${operation.json ?? JSON.stringify(operation.document)}\n`;
}

/**
 * `type: reason`, followed by the `caused_by` chain (`(caused by type: reason)`), of an
 * Elasticsearch error object; a readable text for logs and dead letters.
 */
export function describeErrorCause(cause: estypes.ErrorCause | undefined | null): string {
  const parts: string[] = [];
  let current = cause ?? undefined;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    parts.push(current.reason === undefined || current.reason === null ? current.type : `${current.type}: ${current.reason}`);
    current = current.caused_by;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(' (caused by ') + ')'.repeat(parts.length - 1);
}

/** The result object of one response item (`{index: {...}}` or `{delete: {...}}`). */
export function itemResult(item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>> | undefined): estypes.BulkResponseItem | undefined {
  if (item === undefined) return undefined;
  return item.index ?? item.delete ?? item.create ?? item.update;
}

/**
 * Decides the fate of one operation from its bulk response item: 2xx is acknowledged, 404 on a
 * delete is acknowledged (the document is gone either way), 409 on a versioned operation is
 * superseded (a newer version is indexed) and otherwise retried, 429/500/502/503/504 are retried,
 * anything else is rejected with the error's type and reason. A missing item is retried.
 */
export function classifyItem(operation: BulkOperation, result: estypes.BulkResponseItem | undefined): ItemVerdict {
  if (result === undefined) return { kind: 'retry', reason: 'no item for this operation in the bulk response', httpStatus: 0 };
  const status = result.status;
  if (status >= 200 && status < 300) return { kind: 'acknowledged' };
  if (status === 404 && operation.kind === 'delete') return { kind: 'acknowledged' };
  const reason = `${status} ${describeErrorCause(result.error)}`;
  if (status === 409) return operation.version === undefined ? { kind: 'retry', reason, httpStatus: status } : { kind: 'superseded' };
  if (RETRIABLE_ITEM_STATUSES.has(status)) return { kind: 'retry', reason, httpStatus: status };
  return { kind: 'reject', reason, httpStatus: status };
}

/** The HTTP status and a readable reason of a failed request. */
function describeResponseError(error: errors.ResponseError): { status: number; reason: string } {
  const status = error.statusCode ?? 0;
  const body: unknown = error.body;
  const cause = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  const reason =
    typeof cause === 'object' && cause !== null && 'type' in cause
      ? describeErrorCause(cause as estypes.ErrorCause)
      : typeof cause === 'string'
        ? cause
        : describeError(error);
  return { status, reason: `${status} ${reason}` };
}

/**
 * Decides what to do after `client.bulk` threw, by the shared classification (classifyError):
 * transient errors (429, 408, 5xx, connection errors, timeouts, unreadable responses) are
 * retried; permanent ones other than a 400 (401/403: credentials or privileges) fail the
 * operations, which stops the sink with the fix; other HTTP errors (413, 400...) split the request
 * to find the culprit; programmer errors and non-retriable SluiceErrors fail it.
 */
export function classifyRequestError(error: unknown): RequestVerdict {
  const verdict = classifyError(error);
  if (error instanceof errors.ResponseError) {
    const { status, reason } = describeResponseError(error);
    if (verdict.kind === 'transient') return { kind: 'retry', reason };
    if (verdict.kind === 'permanent' && status !== 400) return { kind: 'fail' };
    return { kind: 'split', reason, httpStatus: status };
  }
  if (verdict.kind === 'bug' || verdict.kind === 'permanent') return { kind: 'fail' };
  if (error instanceof errors.ElasticsearchClientError) return { kind: 'retry', reason: `${error.name}: ${describeError(error)}` };
  return { kind: 'retry', reason: describeError(error) };
}
