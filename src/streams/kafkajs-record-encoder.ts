/**
 * A faster record encoder for kafkajs 2.2.4's produce requests, whose per-record work was several
 * microseconds of a capturing process's CPU per change.
 *
 * kafkajs encodes each record into an `Encoder` of 512 zeroed bytes, makes an array and a Buffer
 * for each of its varints, and reads and writes its timestamp delta (a 64-bit varint) through a
 * BigInt per 7 bits, twice (once to size the record, once to write it): 5.1 to 5.3 µs of CPU per
 * record of 600 bytes, against 1.4 to 1.5 for the encoder here (`bench/kafkajs-codec-rate.ts`,
 * best rounds), which writes the same bytes into an encoder sized for the record's small fields,
 * its varints in place, the timestamp delta from a number. It takes the records sluice produces
 * (key and value each a Buffer or null, no headers, a timestamp delta under 2^48 ms either way, an
 * offset delta that is an int32); any other record goes to kafkajs's own encoder. Unit tests
 * compare the records and whole produce requests with kafkajs's bytes.
 */
import { REFERENCED_CHUNK_MIN_BYTES, kafkajsEncoder, type EncoderClass, type EncoderInternals } from './kafkajs-encoder.js';
import { FIXED_KAFKAJS_VERSION, installedKafkajsVersion, loadedKafkajsModule } from './kafkajs-request-queue.js';

/** kafkajs's record options (src/protocol/recordBatch/record/v0/index.js), as its produce request passes them. */
export interface RecordOptions {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}

/** kafkajs's record encoder: a record's options in, the record's encoder out. */
export type RecordEncoder = (options: RecordOptions) => EncoderInternals;

/** Timestamp deltas below this magnitude are encoded from a number: their zigzag value stays below 2^49. */
const NUMBER_VARLONG_LIMIT = 2 ** 48;
/** The most bytes of a record's fixed fields: length, attributes, timestamp delta, offset delta, the key's and value's lengths, the header count. */
const FIXED_FIELDS_MAX_BYTES = 5 + 1 + 7 + 5 + 5 + 5 + 1;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const RECORD_ENCODER_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';

/** A number's zigzag encoding (0, -1, 1, -2 ... as 0, 1, 2, 3 ...), for magnitudes below {@link NUMBER_VARLONG_LIMIT}. */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** The bytes of `unsigned` as a varint (7 bits a byte). */
function varintSize(unsigned: number): number {
  let bytes = 1;
  for (let rest = unsigned; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}

/** The bytes kafkajs gives a varint-prefixed byte string (its length, or -1 for null, then the bytes). */
function varIntBytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : varintSize(zigzag(bytes.length)) + bytes.length;
}

/**
 * Writes `value`'s zigzag varint (an int32, or a magnitude below {@link NUMBER_VARLONG_LIMIT}) at
 * the encoder's end: kafkajs's bytes for a varint and a varlong alike, written in place (kafkajs
 * makes an array and a Buffer for each).
 */
function writeZigzagVarint(encoder: EncoderInternals, value: number): void {
  let rest = zigzag(value);
  encoder.ensureAvailable(varintSize(rest));
  const buffer = encoder.buf;
  let at = encoder.offset;
  while (rest >= 0x80) {
    buffer[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[at++] = rest;
  encoder.offset = at;
}

/** Writes a byte string as kafkajs does: its length as a varint (-1 for null), then its bytes. */
function writeVarIntBytes(encoder: EncoderInternals, bytes: Buffer | null): void {
  writeZigzagVarint(encoder, bytes === null ? -1 : bytes.length);
  if (bytes !== null) encoder.writeBufferInternal(bytes);
}

/** A record sluice produces (see the module comment), from its fields with kafkajs's defaults. */
function isPlainRecord(timestampDelta: unknown, offsetDelta: unknown, key: unknown, value: unknown, headers: Record<string, unknown> | undefined): boolean {
  if (typeof timestampDelta !== 'number' || !Number.isInteger(timestampDelta) || Math.abs(timestampDelta) >= NUMBER_VARLONG_LIMIT) return false;
  if (typeof offsetDelta !== 'number' || !Number.isInteger(offsetDelta) || offsetDelta < INT32_MIN || offsetDelta > INT32_MAX) return false;
  if ((key !== null && !Buffer.isBuffer(key)) || (value !== null && !Buffer.isBuffer(value))) return false;
  if (headers !== undefined) for (const name in headers) if (Object.hasOwn(headers, name)) return false;
  return true;
}

/** Bytes of `bytes` the encoder copies into its own buffer (shorter ones; longer ones are referenced). */
function copiedLength(bytes: Buffer | null): number {
  return bytes === null || bytes.length >= REFERENCED_CHUNK_MIN_BYTES ? 0 : bytes.length;
}

/**
 * kafkajs's record encoder `original`, with the records sluice produces encoded as the module
 * comment says, byte for byte as `original` does, and every other record passed to `original`.
 */
export function fasterRecordEncoder(original: RecordEncoder, Encoder: EncoderClass = kafkajsEncoder()): RecordEncoder {
  return (options) => {
    const { offsetDelta = 0, timestampDelta = 0, key = null, value = null, headers } = options;
    if (!isPlainRecord(timestampDelta, offsetDelta, key, value, headers)) return original(options);
    const keyBytes = key as Buffer | null;
    const valueBytes = value as Buffer | null;
    const delta = timestampDelta as number;
    // attributes, timestamp delta, offset delta, key, value, no headers
    const bodySize = 1 + varintSize(zigzag(delta)) + varintSize(zigzag(offsetDelta)) + varIntBytesSize(keyBytes) + varIntBytesSize(valueBytes) + 1;
    const encoder = new Encoder(FIXED_FIELDS_MAX_BYTES + copiedLength(keyBytes) + copiedLength(valueBytes));
    writeZigzagVarint(encoder, bodySize);
    encoder.writeInt8(0);
    writeZigzagVarint(encoder, delta);
    writeZigzagVarint(encoder, offsetDelta);
    writeVarIntBytes(encoder, keyBytes);
    writeVarIntBytes(encoder, valueBytes);
    writeZigzagVarint(encoder, 0);
    return encoder;
  };
}

/** kafkajs's own record encoder and its replacement, once {@link speedUpKafkajsRecordEncoding} ran. */
let kafkajsOwnEncoder: RecordEncoder | undefined;
let replacement: RecordEncoder | undefined;

/**
 * Puts {@link fasterRecordEncoder} in place of kafkajs's record encoder for every kafkajs client of
 * the process, when the installed kafkajs is {@link FIXED_KAFKAJS_VERSION} (another version is
 * left as it is). kafkajs's produce request reads the encoder when its module first loads, at a
 * client's first produce, so this runs before any client is made (kafka-client.ts); a produce
 * request module (src/protocol/requests/produce/v3/request.js) loaded before keeps kafkajs's
 * encoder (tests load it anew). Idempotent. Returns whether the faster encoder is now the module's
 * export.
 */
export function speedUpKafkajsRecordEncoding(): boolean {
  if (installedKafkajsVersion() !== FIXED_KAFKAJS_VERSION) return false;
  const module = loadedKafkajsModule(RECORD_ENCODER_MODULE);
  kafkajsOwnEncoder ??= module.exports as RecordEncoder;
  module.exports = replacement ??= fasterRecordEncoder(kafkajsOwnEncoder);
  return true;
}

/** Puts kafkajs's own record encoder back in its module, for tests that compare bytes with kafkajs's. */
export function restoreKafkajsRecordEncoder(): void {
  if (kafkajsOwnEncoder !== undefined) loadedKafkajsModule(RECORD_ENCODER_MODULE).exports = kafkajsOwnEncoder;
}

/** kafkajs's own record encoder (the one replaced, or the module's export when none was), for tests. */
export function kafkajsOwnRecordEncoder(): RecordEncoder {
  return kafkajsOwnEncoder ?? (loadedKafkajsModule(RECORD_ENCODER_MODULE).exports as RecordEncoder);
}
