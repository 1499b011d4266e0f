/**
 * A faster record batch decoder for kafkajs 2.2.4's fetch responses: 1.4 to 1.9 µs of CPU per
 * record with kafkajs's, 0.8 to 1.0 with this one (`bench/kafkajs-codec-rate.ts`, best rounds).
 *
 * kafkajs decodes every record of a batch through a decoder of its own (a slice of the batch and a
 * `Decoder` object per record), reads the record's timestamp delta as a 64-bit varint through a
 * BigInt per byte, and makes the record's offset and timestamp by parsing the batch's first offset
 * and first timestamp from their strings again for every record. The decoder here reads an
 * uncompressed batch's records in place, in one pass over the batch, reads the timestamp delta as
 * a number when it fits in one (7 bytes of varint or fewer: 2^48 ms either way), and parses the
 * batch's first offset and timestamp once; an offset or timestamp beyond 2^53 goes through
 * kafkajs's own `Long`, as before. Everything else is kafkajs's: the same fields, the same objects
 * (`batchContext` shared by the batch's records, `key` and `value` as views of the fetched bytes,
 * headers through kafkajs's header decoder), and a compressed or incomplete batch is left to
 * kafkajs's own decoder, which throws the error the fetch expects for an incomplete one. Unit test
 * `kafkajs-record-decoder.test.ts` compares the two decoders' output field by field.
 */
import { createRequire } from 'node:module';
import { FIXED_KAFKAJS_VERSION, installedKafkajsVersion, loadedKafkajsModule } from './kafkajs-request-queue.js';

/** The members of kafkajs's `Decoder` (src/protocol/decoder.js) read here. */
export interface DecoderInternals {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readVarInt(): number;
  readVarLong(): unknown;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (decoder: DecoderInternals) => T): T[];
  slice(size: number): DecoderInternals;
  forward(size: number): void;
}

/** kafkajs's record batch decoder: the decoder of one fetch response's messages in, the batch out. */
export type RecordBatchDecoder = (fetchDecoder: DecoderInternals) => Promise<DecodedRecordBatch>;

/** What kafkajs's record batch decoder returns: the batch's context and its records. */
export interface DecodedRecordBatch {
  records: DecodedRecord[];
  [field: string]: unknown;
}

/** One record, as kafkajs's record decoder (src/protocol/recordBatch/record/v0/decoder.js) makes it. */
export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | Array<Buffer | null>>;
  isControlRecord: boolean;
  batchContext: RecordContext;
}

/** The context kafkajs gives each record of a batch (and returns with the batch). */
interface RecordContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

interface LongClass {
  fromValue(value: unknown): { add(other: unknown): { toString(): string } };
}

/** The record batch's fixed fields after the first offset and the length (int32 epoch ... int32 first sequence). */
const BATCH_HEADER_BYTES = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4;
/** Where a batch's attributes are, from its start (int64 first offset, int32 length, int32 epoch, int8 magic, int32 CRC). */
const ATTRIBUTES_AT = 8 + 4 + 4 + 1 + 4;
const FIRST_OFFSET_AND_LENGTH_BYTES = 8 + 4;
const COMPRESSION_CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG_MASK = 0x08;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
/** kafkajs's TimestampTypes (src/protocol/timestampTypes.js). */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** A varint of this many bytes or fewer holds at most 49 bits: a number holds it exactly. */
const NUMBER_VARLONG_MAX_BYTES = 7;

const requireFromHere = createRequire(import.meta.url);
const RECORD_BATCH_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
/** The module that reads the record batch decoder when it loads (at a client's first fetch). */
const DECODE_MESSAGES_MODULE = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';

/** A decimal integer's value as a number when a number holds it exactly, else undefined. */
function exactNumber(decimal: string): number | undefined {
  const value = Number(decimal);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Reads a zigzag varint of at most {@link NUMBER_VARLONG_MAX_BYTES} bytes as a number and moves
 * past it; leaves the decoder where it was and returns undefined for a longer one.
 */
function readShortVarLong(decoder: DecoderInternals): number | undefined {
  const buffer = decoder.buffer;
  let at = decoder.offset;
  let unsigned = 0;
  let scale = 1;
  for (let index = 0; index < NUMBER_VARLONG_MAX_BYTES; index += 1) {
    const byte = buffer[at++];
    unsigned += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = at;
      return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
    }
    scale *= 0x80;
  }
  return undefined;
}

/** The batch's first offset or timestamp plus a record's delta, as kafkajs writes it (a decimal string). */
function plusDelta(long: LongClass, base: string, exactBase: number | undefined, delta: unknown): string {
  if (exactBase !== undefined && typeof delta === 'number') {
    const sum = exactBase + delta;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  return long.fromValue(base).add(delta).toString();
}

/** Header pairs as kafkajs's record decoder gathers them: a key seen twice holds an array. */
function headersOf(pairs: Array<{ key: string; value: Buffer | null }>): DecodedRecord['headers'] {
  const headers: DecodedRecord['headers'] = {};
  for (const { key, value } of pairs) {
    const seen = headers[key];
    headers[key] = seen === undefined ? value : Array.isArray(seen) ? seen.concat([value]) : [seen, value];
  }
  return headers;
}

/**
 * kafkajs's record batch decoder `original`, with uncompressed batches decoded as the module
 * comment says and every other batch (compressed, incomplete, or shorter than its header) passed
 * to `original`.
 */
export function fasterRecordBatchDecoder(original: RecordBatchDecoder): RecordBatchDecoder {
  const long = requireFromHere('kafkajs/src/utils/long.js') as LongClass;
  const headerDecoder = requireFromHere('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (
    decoder: DecoderInternals,
  ) => { key: string; value: Buffer | null };
  return async (fetchDecoder) => {
    const start = fetchDecoder.offset;
    const fetched = fetchDecoder.buffer;
    if (fetched.length - start < FIRST_OFFSET_AND_LENGTH_BYTES + BATCH_HEADER_BYTES) return original(fetchDecoder);
    const length = fetched.readInt32BE(start + 8);
    const attributes = fetched.readInt16BE(start + ATTRIBUTES_AT);
    const complete = fetched.length - (start + FIRST_OFFSET_AND_LENGTH_BYTES) >= length;
    if (!complete || length < BATCH_HEADER_BYTES || (attributes & COMPRESSION_CODEC_MASK) !== 0) return original(fetchDecoder);

    const firstOffset = fetched.readBigInt64BE(start).toString();
    fetchDecoder.offset = start + FIRST_OFFSET_AND_LENGTH_BYTES;
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    decoder.offset += 4 + 2; // the CRC (kafkajs does not check it) and the attributes, read above
    const lastOffsetDelta = decoder.readInt32();
    const batchBytes = decoder.buffer;
    const firstTimestamp = batchBytes.readBigInt64BE(decoder.offset).toString();
    const maxTimestamp = batchBytes.readBigInt64BE(decoder.offset + 8).toString();
    const producerId = batchBytes.readBigInt64BE(decoder.offset + 16).toString();
    decoder.offset += 24;
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();

    const recordContext = {
      firstOffset,
      firstTimestamp,
      partitionLeaderEpoch,
      inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
      isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
      lastOffsetDelta,
      producerId,
      producerEpoch,
      firstSequence,
      maxTimestamp,
      timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
    };
    const batchContext: RecordContext = { ...recordContext, magicByte };
    const exactFirstOffset = exactNumber(firstOffset);
    const exactFirstTimestamp = exactNumber(firstTimestamp);
    // kafkajs gives every record the batch's max timestamp when the broker set the time
    const appendTime = batchContext.timestampType === LOG_APPEND_TIME;

    const count = decoder.readInt32();
    const records: DecodedRecord[] = new Array<DecodedRecord>(count === -1 ? 0 : count);
    for (let index = 0; index < records.length; index += 1) {
      const recordLength = decoder.readVarInt();
      const recordEnd = decoder.offset + recordLength;
      const recordAttributes = decoder.readInt8();
      const timestampDelta = readShortVarLong(decoder) ?? decoder.readVarLong();
      const timestamp = appendTime ? maxTimestamp : plusDelta(long, firstTimestamp, exactFirstTimestamp, timestampDelta);
      const offset = plusDelta(long, firstOffset, exactFirstOffset, decoder.readVarInt());
      const key = decoder.readVarIntBytes();
      const value = decoder.readVarIntBytes();
      const headers = headersOf(decoder.readVarIntArray(headerDecoder));
      decoder.offset = recordEnd;
      records[index] = {
        magicByte,
        attributes: recordAttributes,
        timestamp,
        offset,
        key,
        value,
        headers,
        isControlRecord: batchContext.isControlBatch,
        batchContext,
      };
    }
    return { ...recordContext, records };
  };
}

/** kafkajs's own record batch decoder, once {@link speedUpKafkajsRecordDecoding} replaced it. */
let kafkajsOwnDecoder: RecordBatchDecoder | undefined;

/**
 * Puts {@link fasterRecordBatchDecoder} in place of kafkajs's record batch decoder for every
 * kafkajs client of the process, when the installed kafkajs is {@link FIXED_KAFKAJS_VERSION}
 * (another version is left as it is: it may have changed the format's decoding). kafkajs's fetch
 * reads the decoder when its message decoding module first loads, at a client's first fetch, so
 * this runs before any client is made (kafka-client.ts); once that module is loaded, it changes
 * nothing. Idempotent. Returns whether the faster decoder is the one fetches use.
 */
export function speedUpKafkajsRecordDecoding(): boolean {
  if (kafkajsOwnDecoder !== undefined) return true;
  if (installedKafkajsVersion() !== FIXED_KAFKAJS_VERSION) return false;
  if (requireFromHere.cache[requireFromHere.resolve(DECODE_MESSAGES_MODULE)] !== undefined) return false;
  const module = loadedKafkajsModule(RECORD_BATCH_DECODER_MODULE);
  const original = module.exports as RecordBatchDecoder;
  module.exports = fasterRecordBatchDecoder(original);
  kafkajsOwnDecoder = original;
  return true;
}

/** kafkajs's own record batch decoder (the one replaced, or the one in use when none was), for tests. */
export function kafkajsOwnRecordBatchDecoder(): RecordBatchDecoder {
  return kafkajsOwnDecoder ?? (requireFromHere(RECORD_BATCH_DECODER_MODULE) as RecordBatchDecoder);
}
