import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
// imported for its effect: every kafkajs client is made there, after the encoder is replaced
import '../../../src/streams/kafka-client.js';
import { REFERENCED_CHUNK_MIN_BYTES } from '../../../src/streams/kafkajs-encoder.js';
import { fasterRecordEncoder, kafkajsOwnRecordEncoder, speedUpKafkajsRecordEncoding, type RecordOptions } from '../../../src/streams/kafkajs-record-encoder.js';

const requireKafkajs = createRequire(import.meta.url);
const RECORD_ENCODER_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';

const kafkajsRecord = kafkajsOwnRecordEncoder();
const fasterRecord = fasterRecordEncoder(kafkajsRecord);

const bytes = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));

/** Timestamp deltas around every varint length and the number limit (2^48), both signs. */
const TIMESTAMP_DELTAS = [0, 1, -1, 63, 64, -64, -65, 8_191, 8_192, 2 ** 20, 2 ** 31, -(2 ** 31) - 1, 2 ** 35 + 7, 2 ** 48 - 1, -(2 ** 48) + 1];
const OFFSET_DELTAS = [0, 1, 63, 64, 499, 8_192, 2 ** 20, 2 ** 31 - 1];
const PAYLOADS: Array<Buffer | null> = [null, Buffer.alloc(0), bytes(12, 1), bytes(REFERENCED_CHUNK_MIN_BYTES - 1, 2), bytes(REFERENCED_CHUNK_MIN_BYTES, 3), bytes(600, 4), bytes(70_000, 5)];

/** The record's bytes from `encode`. */
const encoded = (encode: typeof kafkajsRecord, options: RecordOptions): Buffer => Buffer.from(encode(options).buffer);

describe('the faster kafkajs record encoder', () => {
  it("is kafkajs's record encoder module's export once kafka-client.ts is loaded", () => {
    expect(speedUpKafkajsRecordEncoding()).toBe(true);
    const exported: unknown = requireKafkajs(RECORD_ENCODER_MODULE);
    expect(exported).not.toBe(kafkajsRecord);
    expect(exported).toBe(requireKafkajs(RECORD_ENCODER_MODULE));
  });

  it('writes the records sluice produces byte for byte as kafkajs does, without calling it', () => {
    const original = vi.fn(kafkajsRecord);
    const faster = fasterRecordEncoder(original);
    let records = 0;
    for (const timestampDelta of TIMESTAMP_DELTAS) {
      for (const offsetDelta of OFFSET_DELTAS) {
        for (const [index, key] of PAYLOADS.entries()) {
          const value = PAYLOADS[(index + offsetDelta) % PAYLOADS.length] ?? null;
          const options = { offsetDelta, timestampDelta, key, value, headers: {} };
          expect(encoded(faster, options).equals(encoded(kafkajsRecord, options))).toBe(true);
          records += 1;
        }
      }
    }
    expect(records).toBe(TIMESTAMP_DELTAS.length * OFFSET_DELTAS.length * PAYLOADS.length);
    expect(original).not.toHaveBeenCalled();
  });

  it("takes kafkajs's defaults (no offset delta, no timestamp delta, no key, no headers)", () => {
    for (const options of [{ value: bytes(40, 9) }, {}, { key: undefined, value: undefined, headers: undefined }]) {
      expect(encoded(fasterRecord, options).equals(encoded(kafkajsRecord, options))).toBe(true);
    }
  });

  it("leaves every other record to kafkajs's own encoder, with the same bytes", () => {
    const others: RecordOptions[] = [
      { timestampDelta: 2 ** 48, key: bytes(5, 1), value: bytes(5, 2) },
      { timestampDelta: -(2 ** 48), key: null, value: bytes(300, 3) },
      { timestampDelta: 2n ** 60n, key: null, value: null },
      { timestampDelta: 0, key: 'a text key', value: bytes(10, 4) },
      { timestampDelta: 0, key: null, value: 'a text value' },
      { timestampDelta: 5, key: bytes(3, 5), value: bytes(3, 6), headers: { trace: 'abc', twice: ['x', 'y'] } },
      { timestampDelta: 5, offsetDelta: 2 ** 31, key: null, value: bytes(3, 7) },
    ];
    for (const options of others) {
      const original = vi.fn(kafkajsRecord);
      expect(encoded(fasterRecordEncoder(original), options).equals(encoded(kafkajsRecord, options))).toBe(true);
      expect(original).toHaveBeenCalledTimes(1);
    }
  });
});
