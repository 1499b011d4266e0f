import { JsonByteWriter } from '../../descriptors/json-byte-writer.js';
import { describeError, isProgrammerError } from '../../errors.js';
import { isRetriable } from '../../retry.js';
import { describeErrorCause, EngineAccessError, EngineError } from '../engine/engine-error.js';
import type { BulkItemResult } from '../engine/search-engine.js';
import { sourceBody, sourceJson, type DocumentOperation } from '../writer.js';

export { describeErrorCause } from '../engine/engine-error.js';

/**
 * One write of a bulk channel: the writer contract's operation. `version` makes the write
 * conditional (`version_type: external_gte`): the engine applies it only when no newer version of
 * the document is there.
 */
export type BulkOperation = DocumentOperation;

/** The start of an action line (`{"index":{"_index":"films","_id":`), with its UTF-8 size. */
interface ActionPrefix {
  readonly text: string;
  readonly bytes: number;
}

/** Action line starts by index name, then by kind: made once per index, not per operation. */
const actionPrefixes = new Map<string, Partial<Record<BulkOperation['kind'], ActionPrefix>>>();

/** Index names whose action line starts are kept: a handful per pipeline, more as migrations make new backing indexes over a long run. */
const MAX_KEPT_PREFIXES = 1_000;

function actionPrefix(kind: BulkOperation['kind'], index: string): ActionPrefix {
  let byKind = actionPrefixes.get(index);
  if (byKind === undefined) {
    if (actionPrefixes.size >= MAX_KEPT_PREFIXES) actionPrefixes.clear();
    byKind = {};
    actionPrefixes.set(index, byKind);
  }
  let prefix = byKind[kind];
  if (prefix === undefined) {
    const text = `{"${kind}":{"_index":${JSON.stringify(index)},"_id":`;
    prefix = { text, bytes: Buffer.byteLength(text) };
    byKind[kind] = prefix;
  }
  return prefix;
}

/** The `version` part of an action line (ASCII only). */
function versionPart(version: number | undefined): string {
  return version === undefined ? '' : `,"version":${JSON.stringify(version)},"version_type":"external_gte"`;
}

/**
 * The action line of an operation, without its newline, and its UTF-8 size: the text
 * JSON.stringify would give for { [kind]: { _index, _id, version, version_type } }, without the
 * objects.
 */
function actionLine(operation: BulkOperation): { readonly text: string; readonly bytes: number } {
  const prefix = actionPrefix(operation.kind, operation.index);
  const id = JSON.stringify(operation.id);
  const version = versionPart(operation.version);
  return { text: `${prefix.text}${id}${version}}}`, bytes: prefix.bytes + Buffer.byteLength(id) + version.length + 2 };
}

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
  /** A bug or a non-retriable error: fail the operations, don't retry. */
  | { readonly kind: 'fail' };

/** Item statuses Elasticsearch returns for momentary overload or failure: the item is sent again. */
const RETRIABLE_ITEM_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * The NDJSON lines of one operation (action line, then the source line for `index`), each ending
 * in a newline, ready to be concatenated into a bulk body.
 */
export function serializeOperation(operation: BulkOperation): string {
  const action = actionLine(operation).text;
  return operation.kind === 'delete' ? `${action}\n` : `${action}\n${sourceJson(operation)}\n`;
}

/** One operation's part of a bulk body, kept apart until the body is made: its action line, its source (index only) and their UTF-8 size, newlines included. */
export interface SizedLines {
  /** The action line, without its newline. */
  readonly action: string;
  /** An index's source as it travels: the JSON text, or its UTF-8 bytes. */
  readonly source: string | Buffer | undefined;
  readonly bytes: number;
}

/**
 * {@link serializeOperation}'s lines, kept apart, and their UTF-8 size. The size is counted on
 * the parts (the source's from `jsonBytes` when given): a source text stays the concatenation
 * that points at the document's own JSON (counting the bytes of the whole would make V8 flatten
 * it into a second copy of the document, kept while it is buffered).
 */
export function serializeSizedOperation(operation: BulkOperation): SizedLines {
  const action = actionLine(operation);
  // sizes counted on the parts: the action line's and the source's texts stay unflattened
  const actionBytes = action.bytes + 1;
  if (operation.kind === 'delete') return { action: action.text, source: undefined, bytes: actionBytes };
  const source = sourceBody(operation);
  const sourceBytes = typeof source === 'string' ? (operation.jsonBytes ?? Buffer.byteLength(source)) : source.length;
  return { action: action.text, source, bytes: actionBytes + sourceBytes + 1 };
}

const NEWLINE = Buffer.from('\n');

/**
 * The NDJSON body of a bulk request, as one buffer: each operation's action line and source, each
 * followed by a newline, written straight from their texts and bytes (no joined text made). It
 * is sized from the parts' `bytes`; a part whose size was given short only costs a larger buffer.
 */
export function bulkBody(parts: readonly SizedLines[]): Buffer {
  let capacity = 0;
  for (const part of parts) capacity += part.bytes;
  const writer = new JsonByteWriter(capacity);
  for (const part of parts) {
    writer.raw(part.action);
    writer.bytes(NEWLINE);
    if (part.source === undefined) continue;
    if (typeof part.source === 'string') writer.raw(part.source);
    else writer.bytes(part.source);
    writer.bytes(NEWLINE);
  }
  return writer.view();
}

/**
 * Decides the fate of one operation from its bulk response item: 2xx is acknowledged, 404 on a
 * delete is acknowledged (the document is gone either way), 409 on a versioned operation is
 * superseded (a newer version is indexed) and otherwise retried, 429/500/502/503/504 are retried,
 * anything else is rejected with the error's type and reason. A missing item is retried.
 */
export function classifyItem(operation: BulkOperation, result: BulkItemResult | undefined): ItemVerdict {
  if (result === undefined || result.status === 0) return { kind: 'retry', reason: 'no item for this operation in the bulk response', httpStatus: 0 };
  const status = result.status;
  if (status >= 200 && status < 300) return { kind: 'acknowledged' };
  if (status === 404 && operation.kind === 'delete') return { kind: 'acknowledged' };
  const reason = `${status} ${describeErrorCause(result.error)}`;
  if (status === 409) return operation.version === undefined ? { kind: 'retry', reason, httpStatus: status } : { kind: 'superseded' };
  if (RETRIABLE_ITEM_STATUSES.has(status)) return { kind: 'retry', reason, httpStatus: status };
  return { kind: 'reject', reason, httpStatus: status };
}

/**
 * Decides what to do after a bulk request failed. 429, 408, 5xx, connection errors, timeouts and
 * other retriable errors are retried; 401/403 (EngineAccessError) fail at once, loudly: retrying
 * cannot fix credentials; other HTTP errors (413, 400...) split the request; programmer errors and
 * non-retriable errors fail it.
 */
export function classifyRequestError(error: unknown): RequestVerdict {
  if (error instanceof EngineAccessError) return { kind: 'fail' };
  if (error instanceof EngineError) {
    const reason = describeError(error);
    if (error.retriable) return { kind: 'retry', reason };
    return { kind: 'split', reason, httpStatus: error.status };
  }
  if (isProgrammerError(error) || !isRetriable(error)) return { kind: 'fail' };
  return { kind: 'retry', reason: describeError(error) };
}
