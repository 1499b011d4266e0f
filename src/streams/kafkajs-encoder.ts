/**
 * Fewer copies in kafkajs 2.2.4's request encoder, whose produce requests made most of the garbage
 * of a capturing process.
 *
 * kafkajs builds a request as nested `Encoder`s (record, record batch, partition, topic, request,
 * size prefix), and each level copies the whole of the level below into a buffer of its own, grown
 * by doubling (`Buffer.alloc` of the next power of two, and one more copy each time it grows). A
 * produce request of 1.5 MB allocated 14 times its size (unit test); in the peers' 100,000-product
 * catch-up (README, "Memory"), 827 MiB of buffers of 32 KiB or more for a few tens of MiB sent.
 *
 * The patched encoder keeps a list of finished chunks ahead of its own buffer: writing a buffer of
 * {@link REFERENCED_CHUNK_MIN_BYTES} or more (a message's value, a child encoder's bytes) keeps a
 * reference to it instead of copying it, and writing a child encoder takes over the child's chunks.
 * The bytes are joined when `buffer` is read, and the joined buffer is kept, so reading it again
 * copies nothing. An uncompressed record batch is made by `recordBatchWithFewerCopies` below, which
 * joins the batch body once, for its CRC, and writes the batch's length prefix from its size (kafkajs
 * copied the whole batch again to write it). A request's bytes are then copied twice in all: the
 * batch bodies for their CRCs, and the whole request when it is sent. Encoders only ever append and
 * never write again below their end, so a referenced chunk cannot change; the bytes produced are
 * the same as kafkajs's own (unit test `kafkajs-encoder.test.ts`, against the original methods).
 */
import { createRequire } from 'node:module';
import { FIXED_KAFKAJS_VERSION, installedKafkajsVersion } from './kafkajs-request-queue.js';

/** Buffers at least this long are referenced instead of copied. */
export const REFERENCED_CHUNK_MIN_BYTES = 256;

/** A record batch's magic byte (format v2) and the attributes' bits, as kafkajs writes them. */
const RECORD_BATCH_MAGIC_BYTE = 2;
const TRANSACTIONAL_ATTRIBUTE = 16;
const COMPRESSION_NONE = 0;

/** The members of kafkajs's Encoder (src/protocol/encoder.js) the patch reads and writes. */
export interface EncoderInternals {
  buf: Buffer;
  offset: number;
  /** Added by the patch: where the bytes not yet moved to `chunks` start in `buf`. */
  chunkStart?: number;
  /** Added by the patch: finished chunks, in order, ahead of `buf[chunkStart, offset)`. */
  chunks?: Buffer[];
  /** Added by the patch: the total length of `chunks`. */
  chunksLength?: number;
  ensureAvailable: (this: EncoderInternals, length: number) => void;
  writeBufferInternal: (this: EncoderInternals, buffer: Buffer) => void;
  writeInt8: (this: EncoderInternals, value: number) => EncoderInternals;
  writeString: (this: EncoderInternals, value: string | null) => EncoderInternals;
  writeInt16: (this: EncoderInternals, value: number) => EncoderInternals;
  writeInt32: (this: EncoderInternals, value: number) => EncoderInternals;
  writeUInt32: (this: EncoderInternals, value: number) => EncoderInternals;
  writeInt64: (this: EncoderInternals, value: unknown) => EncoderInternals;
  writeArray: (this: EncoderInternals, value: unknown[], type?: string) => EncoderInternals;
  writeBytes: (this: EncoderInternals, value: unknown) => EncoderInternals;
  writeEncoder: (this: EncoderInternals, value: EncoderInternals) => EncoderInternals;
  writeEncoderArray: (this: EncoderInternals, value: EncoderInternals[]) => EncoderInternals;
  size: (this: EncoderInternals) => number;
  readonly buffer: Buffer;
}

/** The constructor of kafkajs's Encoder, as loaded by kafkajs itself (same module instance). */
export interface EncoderClass {
  new (initialSize?: number): EncoderInternals;
  nextPowerOfTwo(value: number): number;
}

const requireFromHere = createRequire(import.meta.url);

/** kafkajs's Encoder class: the module kafkajs's own requests use. */
export function kafkajsEncoder(): EncoderClass {
  return requireFromHere('kafkajs/src/protocol/encoder.js') as EncoderClass;
}

/** The methods the patch replaces, keyed by name; `buffer` is the getter. */
type PatchedMembers = Pick<EncoderInternals, 'ensureAvailable' | 'writeBufferInternal' | 'writeBytes' | 'writeEncoder' | 'writeEncoderArray' | 'size'> & {
  bufferGetter: (this: EncoderInternals) => Buffer;
};

/** The bytes written into `buf` and not yet moved to `chunks`. */
function pendingBytes(encoder: EncoderInternals): Buffer {
  return encoder.buf.subarray(encoder.chunkStart ?? 0, encoder.offset);
}

/** Appends `chunk` to the encoder's chunks by reference, after the bytes written so far. */
function appendChunk(encoder: EncoderInternals, chunk: Buffer): void {
  if (chunk.length === 0) return;
  const chunks = (encoder.chunks ??= []);
  const pending = pendingBytes(encoder);
  if (pending.length > 0) chunks.push(pending);
  chunks.push(chunk);
  encoder.chunksLength = (encoder.chunksLength ?? 0) + pending.length + chunk.length;
  encoder.chunkStart = encoder.offset;
}

/** Appends all of `child`'s bytes by reference (its chunks, then its pending bytes). */
function appendEncoder(encoder: EncoderInternals, child: EncoderInternals): void {
  if (child.chunks === undefined) {
    encoder.writeBufferInternal(pendingBytes(child));
    return;
  }
  for (const chunk of child.chunks) appendChunk(encoder, chunk);
  appendChunk(encoder, pendingBytes(child));
}

/** kafkajs's own test of an encoder. */
function isEncoder(value: unknown): value is EncoderInternals {
  return value !== null && value !== undefined && Buffer.isBuffer((value as EncoderInternals).buf);
}

/** The replacements of kafkajs's members `own` (read before the patch). */
function patchedMembers(Encoder: EncoderClass, own: PatchedMembers): PatchedMembers {
  return {
    ensureAvailable(this: EncoderInternals, length: number): void {
      if (this.offset + length <= this.buf.length) return;
      // grows the pending bytes only: what is already in chunks is never copied again
      const start = this.chunkStart ?? 0;
      const pendingLength = this.offset - start;
      const grown = Buffer.alloc(Encoder.nextPowerOfTwo(pendingLength + length));
      this.buf.copy(grown, 0, start, this.offset);
      this.buf = grown;
      this.offset = pendingLength;
      this.chunkStart = 0;
    },
    writeBufferInternal(this: EncoderInternals, buffer: Buffer): void {
      if (buffer.length >= REFERENCED_CHUNK_MIN_BYTES) {
        appendChunk(this, buffer);
        return;
      }
      this.ensureAvailable(buffer.length);
      buffer.copy(this.buf, this.offset, 0);
      this.offset += buffer.length;
    },
    writeBytes(this: EncoderInternals, value: unknown): EncoderInternals {
      if (!Buffer.isBuffer(value)) return own.writeBytes.call(this, value);
      // kafkajs's own method made room for the whole value first; here it is referenced
      this.writeInt32(value.length);
      this.writeBufferInternal(value);
      return this;
    },
    writeEncoder(this: EncoderInternals, value: EncoderInternals): EncoderInternals {
      if (!isEncoder(value)) throw new Error('value should be an instance of Encoder');
      appendEncoder(this, value);
      return this;
    },
    writeEncoderArray(this: EncoderInternals, value: EncoderInternals[]): EncoderInternals {
      if (!Array.isArray(value) || !value.every(isEncoder)) throw new Error('all values should be an instance of Encoder[]');
      for (const child of value) appendEncoder(this, child);
      return this;
    },
    size(this: EncoderInternals): number {
      return (this.chunksLength ?? 0) + this.offset - (this.chunkStart ?? 0);
    },
    bufferGetter(this: EncoderInternals): Buffer {
      if (this.chunks === undefined) return pendingBytes(this);
      // joined once; the encoder then holds the joined bytes as its own buffer
      const size = this.size();
      this.chunks.push(pendingBytes(this));
      const joined = Buffer.concat(this.chunks, size);
      this.buf = joined;
      this.offset = joined.length;
      this.chunkStart = 0;
      this.chunks = undefined;
      this.chunksLength = 0;
      return joined;
    },
  };
}

/** kafkajs's own members of `Encoder`, as they were before the patch. */
function ownMembers(Encoder: EncoderClass): PatchedMembers {
  const prototype = Encoder.prototype as EncoderInternals;
  const bufferDescriptor = Object.getOwnPropertyDescriptor(prototype, 'buffer') as { get: PatchedMembers['bufferGetter'] };
  return {
    ensureAvailable: prototype.ensureAvailable,
    writeBufferInternal: prototype.writeBufferInternal,
    writeBytes: prototype.writeBytes,
    writeEncoder: prototype.writeEncoder,
    writeEncoderArray: prototype.writeEncoderArray,
    size: prototype.size,
    bufferGetter: bufferDescriptor.get,
  };
}

/** kafkajs's record batch options (src/protocol/recordBatch/v0/index.js), as its producer passes them. */
interface RecordBatchOptions {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: number;
  maxTimestamp?: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: EncoderInternals[];
}

type RecordBatchFunction = (options: RecordBatchOptions) => Promise<EncoderInternals>;

/** kafkajs's record batch module, whose `RecordBatch` its produce requests read when first loaded. */
interface RecordBatchModule {
  RecordBatch: RecordBatchFunction;
}

interface Long {
  fromInt(value: number): unknown;
  fromValue(value: number): unknown;
}

/**
 * kafkajs's `RecordBatch`, with the batch body's bytes read once: the same fields and defaults,
 * and the length prefix written from the batch's size instead of from a copy of its bytes.
 * Compressed batches are left to kafkajs's own function (their bytes are the compressor's output).
 */
function recordBatchWithFewerCopies(original: RecordBatchFunction): RecordBatchFunction {
  const Encoder = kafkajsEncoder();
  const crc32C = requireFromHere('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (bytes: Buffer) => number;
  const long = requireFromHere('kafkajs/src/utils/long.js') as Long;
  return async (options) => {
    const {
      compression = COMPRESSION_NONE,
      firstOffset = long.fromInt(0),
      firstTimestamp = Date.now(),
      maxTimestamp = Date.now(),
      partitionLeaderEpoch = 0,
      lastOffsetDelta = 0,
      transactional = false,
      producerId = long.fromValue(-1),
      producerEpoch = 0,
      firstSequence = 0,
      records = [],
    } = options;
    if (compression !== COMPRESSION_NONE) return original(options);
    const batchBody = new Encoder()
      .writeInt16(transactional ? TRANSACTIONAL_ATTRIBUTE : 0)
      .writeInt32(lastOffsetDelta)
      .writeInt64(firstTimestamp)
      .writeInt64(maxTimestamp)
      .writeInt64(producerId)
      .writeInt16(producerEpoch)
      .writeInt32(firstSequence);
    if (records.every((record) => typeof record === typeof records[0])) batchBody.writeArray(records, typeof records[0]);
    else batchBody.writeArray(records);
    const batch = new Encoder().writeInt32(partitionLeaderEpoch).writeInt8(RECORD_BATCH_MAGIC_BYTE).writeUInt32(crc32C(batchBody.buffer)).writeEncoder(batchBody);
    return new Encoder().writeInt64(firstOffset).writeInt32(batch.size()).writeEncoder(batch);
  };
}

function kafkajsRecordBatchModule(): RecordBatchModule {
  return requireFromHere('kafkajs/src/protocol/recordBatch/v0/index.js') as RecordBatchModule;
}

let originalRecordBatch: RecordBatchFunction | undefined;
let patchedRecordBatch: RecordBatchFunction | undefined;

/** kafkajs's own `Encoder` members (read once, before the first patch) and their replacements. */
let kafkajsOwnMembers: PatchedMembers | undefined;
let patchedMembersOfKafkajs: PatchedMembers | undefined;

function applyMembers(Encoder: EncoderClass, members: PatchedMembers): void {
  const { bufferGetter, ...methods } = members;
  Object.assign(Encoder.prototype, methods);
  Object.defineProperty(Encoder.prototype, 'buffer', { get: bufferGetter, configurable: true });
}

/**
 * Replaces kafkajs's `Encoder` methods and its `RecordBatch` with the ones above, for every kafkajs
 * client of the process, when the installed kafkajs is {@link FIXED_KAFKAJS_VERSION} (another
 * version is left as it is: it may have changed the encoder). kafkajs's produce requests read
 * `RecordBatch` when their module first loads, at a client's first produce, so this runs before
 * any client is made (kafka-client.ts). Idempotent. Returns whether the patch is in place.
 */
export function reduceKafkajsEncoderCopies(): boolean {
  if (installedKafkajsVersion() !== FIXED_KAFKAJS_VERSION) return false;
  const Encoder = kafkajsEncoder();
  const own = (kafkajsOwnMembers ??= ownMembers(Encoder));
  applyMembers(Encoder, (patchedMembersOfKafkajs ??= patchedMembers(Encoder, own)));
  const recordBatchModule = kafkajsRecordBatchModule();
  originalRecordBatch ??= recordBatchModule.RecordBatch;
  recordBatchModule.RecordBatch = patchedRecordBatch ??= recordBatchWithFewerCopies(originalRecordBatch);
  return true;
}

/**
 * Puts kafkajs's own `Encoder` methods and `RecordBatch` back, for tests that compare the patched
 * bytes with kafkajs's. A produce request module already loaded keeps the `RecordBatch` it read
 * when it loaded (the tests load it anew).
 */
export function restoreKafkajsEncoder(): void {
  if (kafkajsOwnMembers !== undefined) applyMembers(kafkajsEncoder(), kafkajsOwnMembers);
  if (originalRecordBatch !== undefined) kafkajsRecordBatchModule().RecordBatch = originalRecordBatch;
}
