import type { Logger } from 'pino';
import type { SinkChangeEvent } from '../model/change-event.js';
import { describeError, PermanentError } from '../errors.js';
import { retry, type RetryPolicy } from '../retry.js';
import type { DeadLetterWriter, TriggerReference } from '../sinks/dead-letters.js';
import type { ConsumedPage, DecodedPage, PageChange } from '../sinks/sink-page.js';
import { changeEventReader, type ChangeEventReader } from '../streams/avro/change-event-codec.js';
import { unframe } from '../streams/avro/framing.js';
import { UndecodableMessageError } from '../streams/avro/undecodable-message-error.js';
import type { SchemaTopic } from '../streams/schema-topic.js';

/** What {@link decodeChangePage} works with. */
export interface PageDecoderSettings {
  readonly pipeline: string;
  readonly schemas: SchemaTopic;
  readonly deadLetters: DeadLetterWriter;
  readonly retryPolicy: RetryPolicy;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /**
   * The columns to decode of a topic's row images (see columnsReadByExpansion); the others are
   * skipped in the bytes. Absent, or undefined for a topic: every column (the change log keeps
   * whole images).
   */
  readonly columnsOf?: (topic: string) => ReadonlySet<string> | undefined;
}

/**
 * Decodes a page of change messages (Avro, writer schemas from the schema topic). Tombstones are
 * skipped. Only messages whose bytes can never be decoded (UndecodableMessageError) are
 * dead-lettered; a failing schema lookup is retried with backoff, and a failure that is not
 * retriable rejects the page (it is not committed). A schema id's reader is looked up once per
 * page; the messages themselves decode synchronously. Row images hold the columns
 * `settings.columnsOf` names for the page's topic, or all of them.
 */
export async function decodeChangePage(page: ConsumedPage, settings: PageDecoderSettings): Promise<DecodedPage> {
  const { topic, partition } = page;
  const changes: PageChange[] = [];
  const readers = new Map<string, ChangeEventReader<SinkChangeEvent>>();
  const columns = settings.columnsOf?.(topic);
  let undecodable = 0;
  for (const message of page.messages) {
    const value = message.value;
    if (value === null) continue; // a tombstone carries no change
    const key = message.key?.toString() ?? null;
    try {
      const { schemaId, body } = unframe(value);
      const reader = readers.get(schemaId) ?? (await readerOf(schemaId, message.offset));
      readers.set(schemaId, reader);
      const event = reader.read(body, schemaId);
      changes.push({ event, trigger: { topic, partition, offset: message.offset, key, table: `${event.source.db}.${event.source.table}`, op: event.op } });
    } catch (error) {
      if (error instanceof PermanentError && error.where === undefined) throw new PermanentError(error.message, error.fix, { cause: error, where: where(message.offset) });
      if (!(error instanceof UndecodableMessageError)) throw error;
      undecodable += 1;
      const trigger: TriggerReference = { topic, partition, offset: message.offset, key };
      await settings.deadLetters.write({ kind: 'undecodable-message', pipeline: settings.pipeline, reason: describeError(error), trigger, value: value.toString('base64'), atMs: Date.now() });
    }
  }
  return { page, changes, undecodable };

  function where(offset: string): string {
    return `${topic} partition ${partition} offset ${offset}`;
  }

  async function readerOf(schemaId: string, offset: string): Promise<ChangeEventReader<SinkChangeEvent>> {
    const at = where(offset);
    const json = await retry(() => settings.schemas.resolve(schemaId), {
      policy: settings.retryPolicy,
      signal: settings.signal,
      what: `reading the writer schema of ${at}`,
      where: at,
      onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, where: at, error: describeError(error) }, 'decoding a change failed; retrying'),
    });
    return changeEventReader(json, schemaId, columns);
  }
}
