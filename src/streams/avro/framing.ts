import { createHash } from 'node:crypto';
import { UndecodableMessageError } from './undecodable-message-error.js';

/**
 * sluice's message framing: one magic byte 0x53 ('S'), one version byte 0x01, the 8-byte schema
 * id, then the Avro binary body. The schema id is the first 8 bytes of the SHA-256 of the writer
 * schema's full JSON (logical types and attributes included, unlike Avro's Parsing Canonical Form,
 * where decimal(10,2) and decimal(10,4) would collide). Schemas are published in the pipeline's
 * schema topic, keyed by the id in hex.
 */
export const FRAME_MAGIC = 0x53;
export const FRAME_VERSION = 0x01;
const HEADER_BYTES = 10;

/** The schema id of a schema's JSON text, as 16 hex digits. */
export function schemaId(schemaJson: string): string {
  return createHash('sha256').update(schemaJson).digest().subarray(0, 8).toString('hex');
}

/** The frame header of a schema id (magic, version, the 8 id bytes). */
export function frameHeader(schemaIdHex: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = FRAME_MAGIC;
  header[1] = FRAME_VERSION;
  Buffer.from(schemaIdHex, 'hex').copy(header, 2);
  return header;
}

/** Bytes of the frame header before the Avro body. */
export const FRAME_HEADER_BYTES = HEADER_BYTES;

/** Prefixes an Avro body with the frame header. */
export function frame(schemaIdHex: string, body: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = FRAME_MAGIC;
  header[1] = FRAME_VERSION;
  Buffer.from(schemaIdHex, 'hex').copy(header, 2);
  return Buffer.concat([header, body]);
}

/** Splits a framed message into its schema id and Avro body; an UndecodableMessageError when it is not framed. */
export function unframe(message: Buffer): { schemaId: string; body: Buffer } {
  if (message.length < HEADER_BYTES || message[0] !== FRAME_MAGIC || message[1] !== FRAME_VERSION) {
    throw new UndecodableMessageError('not a sluice Avro message (bad magic or version byte)', { context: { length: message.length } });
  }
  return { schemaId: message.subarray(2, HEADER_BYTES).toString('hex'), body: message.subarray(HEADER_BYTES) };
}
