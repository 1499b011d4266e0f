import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// imported for its effect: every kafkajs client is made there, after the decoder is replaced
import '../../../src/streams/kafka-client.js';
import {
  fasterRecordBatchDecoder,
  kafkajsOwnRecordBatchDecoder,
  speedUpKafkajsRecordDecoding,
  type DecodedRecordBatch,
  type DecoderInternals,
} from '../../../src/streams/kafkajs-record-decoder.js';

const requireKafkajs = createRequire(import.meta.url);

type DecoderClass = new (buffer: Buffer) => DecoderInternals;
interface EncoderLike {
  readonly buffer: Buffer;
}
interface RecordOptions {
  offsetDelta: number;
  timestampDelta: number | bigint;
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer | string[]>;
}
type RecordEncoder = (options: RecordOptions) => EncoderLike;
type RecordBatchEncoder = (options: Record<string, unknown>) => Promise<EncoderLike>;

const Decoder = requireKafkajs('kafkajs/src/protocol/decoder.js') as DecoderClass;
const Record = requireKafkajs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as RecordEncoder;
const { RecordBatch } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: RecordBatchEncoder };
const { Types: Compression } = requireKafkajs('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

const kafkajsDecoder = kafkajsOwnRecordBatchDecoder();
const fasterDecoder = fasterRecordBatchDecoder(kafkajsDecoder);

/** Where a batch's attributes (int16) are: after the first offset, length, epoch, magic byte and CRC. */
const ATTRIBUTES_AT = 8 + 4 + 4 + 1 + 4;
const LOG_APPEND_TIME_FLAG = 0x08;
const CONTROL_FLAG = 0x20;

interface BatchShape {
  firstOffset: bigint;
  firstTimestamp: bigint;
  timestampDeltas: Array<number | bigint>;
  compression?: number;
  transactional?: boolean;
  attributeFlags?: number;
}

/** One record batch's bytes, as a broker returns it (kafkajs's encoder; flags it never sets written over its attributes). */
async function batchBytes(shape: BatchShape, seed: number): Promise<Buffer> {
  const records = shape.timestampDeltas.map((timestampDelta, i) =>
    Record({
      offsetDelta: i,
      timestampDelta,
      key: i % 4 === 0 ? null : i % 4 === 1 ? `key-${seed}-${i}` : Buffer.alloc(20 + i, seed),
      value: i % 7 === 6 ? null : Buffer.alloc((i * 97 + seed) % 900, i),
      headers: i % 3 === 0 ? { schema: `s${i}`, trace: ['a', 'b', 'c'], only: Buffer.from([i]) } : i % 3 === 1 ? { twice: ['x', 'y'] } : {},
    }),
  );
  const batch = await RecordBatch({
    compression: shape.compression ?? Compression.None,
    firstOffset: shape.firstOffset,
    firstTimestamp: shape.firstTimestamp,
    maxTimestamp: shape.firstTimestamp + 1_000n,
    lastOffsetDelta: records.length - 1,
    transactional: shape.transactional ?? false,
    producerId: 4_321n,
    producerEpoch: 3,
    firstSequence: 17,
    partitionLeaderEpoch: 5,
    records,
  });
  const bytes = Buffer.from(batch.buffer);
  if (shape.attributeFlags !== undefined) bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_AT) | shape.attributeFlags, ATTRIBUTES_AT);
  return bytes;
}

/** Decodes every batch of `bytes` the way kafkajs's fetch does (v4/decodeMessages.js), with `decode`. */
async function decodeAll(decode: typeof kafkajsDecoder, bytes: Buffer): Promise<{ batches: DecodedRecordBatch[]; offsets: number[] }> {
  const decoder = new Decoder(bytes);
  const batches: DecodedRecordBatch[] = [];
  const offsets: number[] = [];
  while (decoder.offset < bytes.length) {
    batches.push(await decode(decoder));
    offsets.push(decoder.offset);
  }
  return { batches, offsets };
}

const deltas = (count: number, step: number): number[] => Array.from({ length: count }, (_, i) => i * step);
const EXACT_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

const shapes: Array<[string, BatchShape]> = [
  ['a small batch', { firstOffset: 0n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(5, 3) }],
  ['many records, varints of every length', { firstOffset: 123_456_789n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(300, 997) }],
  ['negative timestamp deltas', { firstOffset: 42n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: [0, -1, -64, -65, -100_000, -(2 ** 40)] }],
  ['timestamp deltas a number cannot hold exactly', { firstOffset: 7n, firstTimestamp: 0n, timestampDeltas: [0, 2 ** 48, -(2 ** 48) - 1, 2n ** 56n + 3n, -(2n ** 62n)] }],
  ['no timestamp (-1)', { firstOffset: 9n, firstTimestamp: -1n, timestampDeltas: [0, 0, 0] }],
  ['offsets around 2^53', { firstOffset: EXACT_LIMIT - 2n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(6, 1) }],
  ['offsets near 2^63', { firstOffset: 2n ** 63n - 10n, firstTimestamp: EXACT_LIMIT - 1n, timestampDeltas: deltas(5, 1) }],
  ['a transactional batch', { firstOffset: 1_000n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(4, 2), transactional: true }],
  ['a control batch', { firstOffset: 1_004n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: [0], transactional: true, attributeFlags: CONTROL_FLAG }],
  ['log append time', { firstOffset: 55n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(4, 10), attributeFlags: LOG_APPEND_TIME_FLAG }],
  ['a gzip batch (left to kafkajs)', { firstOffset: 77n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(20, 5), compression: Compression.GZIP }],
  ['an empty batch', { firstOffset: 3n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: [] }],
];

describe('the faster kafkajs record batch decoder', () => {
  it('is the decoder kafkajs fetches use once kafka-client.ts is loaded', () => {
    expect(speedUpKafkajsRecordDecoding()).toBe(true);
    expect(requireKafkajs('kafkajs/src/protocol/recordBatch/v0/decoder.js')).not.toBe(kafkajsDecoder);
  });

  it.each(shapes)('decodes %s as kafkajs does', async (_name, shape) => {
    const bytes = await batchBytes(shape, 11);
    const ours = await decodeAll(fasterDecoder, bytes);
    const theirs = await decodeAll(kafkajsDecoder, bytes);
    expect(ours).toEqual(theirs);
    expect(ours.batches[0]?.records.length).toBe(shape.timestampDeltas.length);
    for (const record of ours.batches[0]?.records ?? []) expect(record.batchContext).toBe(ours.batches[0]?.records[0]?.batchContext);
  });

  it('decodes the offsets and timestamps exactly, beyond 2^53 too', async () => {
    const firstOffset = 2n ** 63n - 10n;
    const firstTimestamp = EXACT_LIMIT - 1n;
    const timestampDeltas = [0, 1, 2, 2 ** 50];
    const { batches } = await decodeAll(fasterDecoder, await batchBytes({ firstOffset, firstTimestamp, timestampDeltas }, 3));
    const records = batches[0]?.records ?? [];
    expect(records.map((record) => record.offset)).toEqual(timestampDeltas.map((_, i) => String(firstOffset + BigInt(i))));
    expect(records.map((record) => record.timestamp)).toEqual(timestampDeltas.map((delta) => String(firstTimestamp + BigInt(delta))));
  });

  it('decodes several batches of one fetch in a row, and leaves the fetch decoder where kafkajs does', async () => {
    const bytes = Buffer.concat(await Promise.all(shapes.map(([, shape], i) => batchBytes(shape, i))));
    const ours = await decodeAll(fasterDecoder, bytes);
    expect(ours).toEqual(await decodeAll(kafkajsDecoder, bytes));
    expect(ours.batches).toHaveLength(shapes.length);
  });

  it('throws kafkajs own error for a batch cut short, as a fetch that reached its byte limit returns it', async () => {
    const bytes = await batchBytes({ firstOffset: 100n, firstTimestamp: 1_765_000_000_000n, timestampDeltas: deltas(10, 1) }, 5);
    const cut = bytes.subarray(0, bytes.length - 30);
    await expect(fasterDecoder(new Decoder(cut))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' });
    await expect(kafkajsDecoder(new Decoder(cut))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' });
  });
});
