import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/errors.js';
import { isRetriableKafkaError } from '../../../src/streams/capture-supervisor.js';

describe('isRetriableKafkaError', () => {
  it('accepts the Kafka conditions kafkajs retries, also as the cause of another error', () => {
    // the shape kafkajs builds from error code 3 (UNKNOWN_TOPIC_OR_PARTITION)
    const unknownPartition = new KafkaJSProtocolError(Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }));
    expect(isRetriableKafkaError(unknownPartition)).toBe(true);
    expect(isRetriableKafkaError(new SluiceError('writing failed', { cause: unknownPartition }))).toBe(true);
  });

  it('refuses everything else', () => {
    expect(isRetriableKafkaError(new KafkaJSError('bad request', { retriable: false }))).toBe(false);
    expect(isRetriableKafkaError(new SluiceError('the binlog was purged'))).toBe(false);
    expect(isRetriableKafkaError(new TypeError('bug'))).toBe(false);
    expect(isRetriableKafkaError('text')).toBe(false);
  });
});
