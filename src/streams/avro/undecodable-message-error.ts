import { SluiceError } from '../../errors.js';

/**
 * The bytes of a Kafka message can never be decoded, however often they are read: the framing is
 * wrong (not sluice's magic or version byte, too short) or the Avro body cannot be read with its
 * writer schema. Only this error makes a change message a dead letter; any other failure while
 * decoding (a schema lookup that hits a Kafka hiccup) is retried and the page is not committed.
 */
export class UndecodableMessageError extends SluiceError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { ...options, retriable: false });
  }
}
