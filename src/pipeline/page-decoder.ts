import type { Logger } from 'pino';
import { describeError, PermanentError } from '../errors.js';
import { retry, type RetryPolicy } from '../retry.js';
import type { DeadLetterWriter, TriggerReference } from '../sinks/dead-letters.js';
import type { ConsumedPage, DecodedPage, PageChange } from '../sinks/sink-page.js';
import { decodeChangeEvent } from '../streams/avro/change-event-codec.js';
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
}

/**
 * Decodes a page of change messages (Avro, writer schemas from the schema topic). Tombstones are
 * skipped. Only messages whose bytes can never be decoded (UndecodableMessageError) are
 * dead-lettered; a failing schema lookup is retried with backoff, and a failure that is not
 * retriable rejects the page (it is not committed).
 */
export async function decodeChangePage(page: ConsumedPage, settings: PageDecoderSettings): Promise<DecodedPage> {
  const { topic, partition } = page;
  const changes: PageChange[] = [];
  let undecodable = 0;
  for (const message of page.messages) {
    const trigger: TriggerReference = { topic, partition, offset: message.offset, key: message.key?.toString() ?? null };
    const value = message.value;
    if (value === null) continue; // a tombstone carries no change
    const where = `${topic} partition ${partition} offset ${message.offset}`;
    try {
      const event = await retry(() => decodeChangeEvent(value, (id) => settings.schemas.resolve(id)), {
        policy: settings.retryPolicy,
        signal: settings.signal,
        what: `reading the writer schema of ${where}`,
        where,
        onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, where, error: describeError(error) }, 'decoding a change failed; retrying'),
      });
      changes.push({ event, trigger: { ...trigger, table: `${event.source.db}.${event.source.table}`, op: event.op } });
    } catch (error) {
      if (error instanceof PermanentError && error.where === undefined) throw new PermanentError(error.message, error.fix, { cause: error, where });
      if (!(error instanceof UndecodableMessageError)) throw error;
      undecodable += 1;
      await settings.deadLetters.write({ kind: 'undecodable-message', pipeline: settings.pipeline, reason: describeError(error), trigger, value: value.toString('base64'), atMs: Date.now() });
    }
  }
  return { page, changes, undecodable };
}
