import { createRequire } from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';
// imported for its effect: every kafkajs client is made there, after the patch
import '../../../src/streams/kafka-client.js';
import {
  REFERENCED_CHUNK_MIN_BYTES,
  kafkajsEncoder,
  reduceKafkajsEncoderCopies,
  restoreKafkajsEncoder,
  type EncoderInternals,
} from '../../../src/streams/kafkajs-encoder.js';
import { restoreKafkajsRecordEncoder, speedUpKafkajsRecordEncoding } from '../../../src/streams/kafkajs-record-encoder.js';

const requireKafkajs = createRequire(import.meta.url);

interface ProduceMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  timestamp?: string;
}

type ProduceRequest = (options: Record<string, unknown>) => { encode: () => Promise<EncoderInternals> };
type CreateRequest = (options: { correlationId: number; clientId: string; request: ReturnType<ProduceRequest> }) => Promise<EncoderInternals>;

const PRODUCE_REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';

/** kafkajs's produce request module, loaded anew: it reads `RecordBatch` when it loads, as at a client's first produce. */
function freshProduceRequest(): ProduceRequest {
  delete requireKafkajs.cache[requireKafkajs.resolve(PRODUCE_REQUEST_MODULE)];
  return requireKafkajs(PRODUCE_REQUEST_MODULE) as ProduceRequest;
}
const createRequest = requireKafkajs('kafkajs/src/protocol/request.js') as CreateRequest;
const { Types: Compression } = requireKafkajs('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

/** Deterministic bytes: the same seed gives the same messages to both encoders. */
function seededBytes(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed * 2_654_435_761 + 1;
  for (let i = 0; i < length; i += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Messages around and far from the referencing threshold, with and without keys and headers. */
function messages(count: number, seed: number): ProduceMessage[] {
  const lengths = [0, 1, REFERENCED_CHUNK_MIN_BYTES - 1, REFERENCED_CHUNK_MIN_BYTES, 540, 3_000, 70_000];
  return Array.from({ length: count }, (_, i) => {
    const valueLength = lengths[(i + seed) % lengths.length] ?? 0;
    return {
      key: i % 3 === 0 ? null : i % 3 === 1 ? `key-${seed}-${i}` : seededBytes(seed + i, 300),
      value: i % 11 === 10 ? null : seededBytes(seed * 31 + i, valueLength),
      headers: i % 4 === 0 ? { 'sluice-schema': `s${i}`, big: seededBytes(i, 400) } : undefined,
      timestamp: String(1_700_000_000_000 + i),
    };
  });
}

/** Two topics, four partitions, 136 messages of many shapes. */
function produceTopicData(seed: number): unknown[] {
  return [
    { topic: 'sluice.shop.product', partitions: [0, 1, 2].map((partition) => ({ partition, firstSequence: 0, messages: messages(5 + partition * 40, seed + partition) })) },
    { topic: 'sluice.shop.category', partitions: [{ partition: 0, firstSequence: 0, messages: messages(1, seed + 9) }] },
  ];
}

/** A whole produce request (size prefix, header, topics, partitions, batches), as sent on the socket. */
async function encodeProduceRequest(topicData: unknown[], compression: number): Promise<Buffer> {
  const request = freshProduceRequest()({ acks: -1, timeout: 30_000, compression, topicData });
  const payload = await createRequest({ correlationId: 7, clientId: 'sluice-test', request });
  return payload.buffer;
}

/** A copy of the request's bytes, made from fresh messages. */
async function encodedProduceRequest(compression: number, seed: number): Promise<Buffer> {
  return Buffer.from(await encodeProduceRequest(produceTopicData(seed), compression));
}

describe('kafkajs encoder with fewer copies', () => {
  afterAll(() => {
    reduceKafkajsEncoderCopies();
    speedUpKafkajsRecordEncoding();
    freshProduceRequest();
  });

  it('is in place for every kafkajs client once kafka-client is loaded', () => {
    const encoder = new (kafkajsEncoder())();
    encoder.writeBytes(Buffer.alloc(REFERENCED_CHUNK_MIN_BYTES));
    expect(encoder.chunks).toHaveLength(2);
  });

  it('encodes produce requests byte for byte as kafkajs does, uncompressed and gzip, for many shapes of message', async () => {
    for (const compression of [Compression.None, Compression.GZIP]) {
      for (const seed of [1, 2, 3]) {
        restoreKafkajsEncoder();
        restoreKafkajsRecordEncoder();
        const expected = await encodedProduceRequest(compression, seed);
        reduceKafkajsEncoderCopies();
        speedUpKafkajsRecordEncoding();
        const actual = await encodedProduceRequest(compression, seed);
        expect(actual.length).toBe(expected.length);
        expect(actual.equals(expected)).toBe(true);
      }
    }
  });

  it("copies a produce request's bytes at most twice (kafkajs's own encoder: more than five times)", async () => {
    const allocated = async (): Promise<{ bytes: number; requestSize: number }> => {
      const topicData = produceTopicData(4);
      const spies = [vi.spyOn(Buffer, 'alloc'), vi.spyOn(Buffer, 'allocUnsafe')];
      try {
        const requestSize = (await encodeProduceRequest(topicData, Compression.None)).length;
        const bytes = spies.flatMap((spy) => spy.mock.calls.map(([size]) => size)).reduce((sum, size) => sum + size, 0);
        return { bytes, requestSize };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    };
    restoreKafkajsEncoder();
    restoreKafkajsRecordEncoder();
    const kafkajsOwn = await allocated();
    reduceKafkajsEncoderCopies();
    speedUpKafkajsRecordEncoding();
    const patched = await allocated();
    expect(kafkajsOwn.bytes).toBeGreaterThan(5 * kafkajsOwn.requestSize);
    expect(patched.requestSize).toBe(kafkajsOwn.requestSize);
    expect(patched.bytes).toBeLessThan(2.2 * patched.requestSize);
  });

  it('keeps a big written buffer by reference and copies it once, when the bytes are read', () => {
    const Encoder = kafkajsEncoder();
    const value = seededBytes(5, 5_000);
    const child = new Encoder().writeInt32(1).writeBytes(value);
    const parent = new Encoder().writeInt32(2).writeEncoder(child).writeInt32(3);
    expect(parent.chunks).toContain(value);
    expect(parent.size()).toBe(4 + 4 + 4 + value.length + 4);
    const bytes = parent.buffer;
    expect(bytes.length).toBe(parent.size());
    expect(bytes.subarray(12, 12 + value.length).equals(value)).toBe(true);
    expect(bytes.readInt32BE(12 + value.length)).toBe(3);
    const again = parent.buffer;
    expect(again.buffer).toBe(bytes.buffer); // the same memory: reading again copies nothing
    expect(again.byteOffset).toBe(bytes.byteOffset);
    expect(parent.chunks).toBeUndefined();
  });

  it('writes after reading the bytes, and grows only the bytes not yet in chunks', () => {
    const Encoder = kafkajsEncoder();
    const encoder = new Encoder(1).writeBytes(seededBytes(6, 1_000));
    const first = encoder.buffer;
    encoder.writeString('after').writeBytes(seededBytes(7, 600)).writeInt32(-1);
    for (let i = 0; i < 200; i += 1) encoder.writeInt32(i);
    restoreKafkajsEncoder();
    const expected = new Encoder(1).writeBytes(seededBytes(6, 1_000)).writeString('after').writeBytes(seededBytes(7, 600)).writeInt32(-1);
    for (let i = 0; i < 200; i += 1) expected.writeInt32(i);
    const expectedBytes = Buffer.from(expected.buffer);
    reduceKafkajsEncoderCopies();
    expect(first.length).toBe(4 + 1_000);
    expect(encoder.buffer.equals(expectedBytes)).toBe(true);
  });

  it('still refuses what is not an encoder, as kafkajs does', () => {
    const encoder = new (kafkajsEncoder())();
    expect(() => encoder.writeEncoder({} as EncoderInternals)).toThrow('value should be an instance of Encoder');
    expect(() => encoder.writeEncoderArray([{} as EncoderInternals])).toThrow('all values should be an instance of Encoder[]');
  });
});
