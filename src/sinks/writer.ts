/**
 * The writer contract: what the document path needs of a document store. The Elasticsearch /
 * OpenSearch bulk channel (src/sinks/elasticsearch/bulk-channel.ts) implements it; a writer for
 * another store implements the same members.
 */

import type { TriggerReference } from './dead-letters.js';

/**
 * Index or delete one document; `version` (external, greater-or-equal wins) protects against a
 * slower, older build. `trigger`, the change the operation comes from, travels with it: the dead
 * letter of a rejected operation names it.
 */
export type DocumentOperation =
  | ({
      kind: 'index';
      index: string;
      id: string;
      version?: number;
      trigger?: TriggerReference;
    } & IndexedSource)
  | { kind: 'delete'; index: string; id: string; version?: number; trigger?: TriggerReference };

/**
 * The source of an indexed document: the object, or only its JSON (the text, or its UTF-8 bytes
 * as the build wrote them, sent as they are). The sink passes the JSON alone, so that no object
 * tree stays alive while an operation waits in the writer's buffer.
 */
export type IndexedSource =
  | {
      document: Record<string, unknown>;
      /** `document` already serialized (exactly JSON.stringify(document)), so it is not serialized twice. */
      json?: string | Buffer;
      /** The UTF-8 size of `json` when the caller knows it (counting it may copy a concatenated text). */
      jsonBytes?: number;
    }
  | { document?: undefined; json: string | Buffer; jsonBytes?: number };

/** The JSON of an indexed document's source as it travels: its text, or its UTF-8 bytes. */
export function sourceBody(source: IndexedSource): string | Buffer {
  return source.json ?? JSON.stringify(source.document);
}

/** The JSON text of an indexed document's source (decoded when it travels as bytes). */
export function sourceJson(source: IndexedSource): string {
  const body = sourceBody(source);
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** An indexed document's source as an object (parsed again when only its JSON travelled). */
export function sourceDocument(source: IndexedSource): Record<string, unknown> {
  return source.document ?? (JSON.parse(sourceJson(source)) as Record<string, unknown>);
}

/** How one operation ended. Only `acknowledged` and `superseded` mean the store holds it (or something newer). */
export type WriteOutcome =
  /** Indexed or deleted (a delete of a missing document counts: the document is gone). */
  | { readonly status: 'acknowledged' }
  /** A versioned operation met a newer version of the document: nothing to do, not an error. */
  | { readonly status: 'superseded' }
  /** Refused for good (mapping error, too large...): the writer's dead letter stored it before this outcome resolved. */
  | { readonly status: 'rejected'; readonly reason: string; readonly httpStatus: number };

/** A document writer: per-operation outcomes, backpressure, flush. */
export interface DocumentWriter {
  /**
   * Queues an operation. The promise settles once the operation is acknowledged, superseded or
   * rejected (after its dead letter was stored); it rejects only when the writer gave up
   * (aborted), and then the operation may or may not have been applied.
   */
  write(operation: DocumentOperation): Promise<WriteOutcome>;
  /** Resolves once the writer accepts more work (backpressure: callers await it before writing). */
  waitForCapacity(): Promise<void>;
  /** Sends what is buffered; resolves when every operation written so far has settled. */
  flush(): Promise<void>;
  /** Refuses further writes, flushes, releases its resources. */
  close(): Promise<void>;
}

/**
 * Finds the documents of `index` that embedded any of `references` (rows, `db.table:key`),
 * in pages of ids, after every write so far is acknowledged.
 */
export type ReferenceLookup = (index: string, references: readonly string[]) => AsyncIterable<string[]>;
