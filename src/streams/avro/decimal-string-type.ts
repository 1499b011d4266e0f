import avro from 'avsc';

/**
 * Avro's `decimal` logical type (bytes holding the two's-complement big-endian unscaled integer)
 * with exact decimal strings as JavaScript values: "-12345678901234567890.0123456789" survives
 * the round trip, where a double would round it. Used for DECIMAL, BIGINT and BIGINT UNSIGNED.
 */
export class DecimalStringType extends avro.types.LogicalType {
  private readonly scale: number;
  private readonly precision: number;

  constructor(schema: avro.Schema & { precision?: number; scale?: number }, opts?: avro.ForSchemaOptions) {
    super(schema, opts);
    this.precision = schema.precision ?? 38;
    this.scale = schema.scale ?? 0;
  }

  override _fromValue(buffer: Buffer): string {
    // up to 6 bytes (48 bits) a double holds the unscaled integer exactly: no BigInt needed
    if (buffer.length <= 6) return smallUnscaledToDecimal(buffer.length === 0 ? 0 : buffer.readIntBE(0, buffer.length), this.scale);
    return unscaledToDecimal(bytesToBigInt(buffer), this.scale);
  }

  override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return undefined;
    const unscaled = decimalToUnscaled(String(value), this.scale);
    if (unscaled === undefined || digitCount(unscaled) > this.precision) return undefined;
    return bigIntToBytes(unscaled);
  }

  override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, 'logical:decimal') ? (value: unknown) => value : undefined;
  }
}

/** Parses a decimal string into its unscaled integer at `scale`, undefined when it has more fraction digits or is not a number. */
export function decimalToUnscaled(text: string, scale: number): bigint | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return undefined;
  const digits = `${match[2] === '' ? '0' : match[2]}${fraction.padEnd(scale, '0')}`;
  const magnitude = BigInt(digits);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** Formats an unscaled integer at `scale` as a decimal string with exactly `scale` fraction digits. */
export function unscaledToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${integer}${scale > 0 ? `.${fraction}` : ''}`;
}

/** {@link unscaledToDecimal} for an unscaled integer a double holds exactly (|value| < 2^53). */
export function smallUnscaledToDecimal(unscaled: number, scale: number): string {
  const negative = unscaled < 0;
  const digits = String(negative ? -unscaled : unscaled).padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${integer}${scale > 0 ? `.${fraction}` : ''}`;
}

function digitCount(value: bigint): number {
  return (value < 0n ? -value : value).toString().length;
}

/** Values from -2^47 to 2^47-1 are written as a Number of at most 6 bytes. */
const SMALL_LIMIT = 1n << 47n;

/** Minimal two's-complement big-endian bytes of a BigInt. */
export function bigIntToBytes(value: bigint): Buffer {
  // most values fit in 6 bytes, which Buffer writes natively (no hex string, no BigInt shifts)
  if (value >= -SMALL_LIMIT && value < SMALL_LIMIT) {
    const small = Number(value);
    let bytes = 1;
    while (small < -(2 ** (8 * bytes - 1)) || small >= 2 ** (8 * bytes - 1)) bytes += 1;
    const buffer = Buffer.allocUnsafe(bytes);
    buffer.writeIntBE(small, 0, bytes);
    return buffer;
  }
  const bytes = byteLength(value);
  return Buffer.from(BigInt.asUintN(8 * bytes, value).toString(16).padStart(2 * bytes, '0'), 'hex');
}

function byteLength(value: bigint): number {
  let bytes = 1;
  while (value < -(1n << BigInt(8 * bytes - 1)) || value >= 1n << BigInt(8 * bytes - 1)) bytes += 1;
  return bytes;
}

/** Reads two's-complement big-endian bytes as a BigInt. */
export function bytesToBigInt(buffer: Buffer): bigint {
  if (buffer.length === 0) return 0n;
  return BigInt.asIntN(8 * buffer.length, BigInt(`0x${buffer.toString('hex')}`));
}
