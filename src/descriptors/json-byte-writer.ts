/**
 * Writes JSON text as UTF-8 bytes into one growing buffer: a document's JSON is made with no
 * string per property (string concatenation makes a rope node per piece, then a flat copy when
 * the text is hashed or sent), and a bulk body from its operations' texts and bytes. What it
 * writes is exactly what JSON.stringify writes for the same values.
 */
export class JsonByteWriter {
  private buffer: Buffer;
  /** Bytes written so far. */
  private written = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far (a position {@link truncate} can go back to). */
  get length(): number {
    return this.written;
  }

  /** Forgets what was written after the first `length` bytes. */
  truncate(length: number): void {
    this.written = Math.min(this.written, Math.max(0, length));
  }

  /** The bytes written, as a view of the writer's buffer: valid until the next write. */
  view(): Buffer {
    return this.buffer.subarray(0, this.written);
  }

  /** Appends bytes made beforehand (a property's key, with its quotes, colon and comma). */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    const buffer = this.buffer;
    let at = this.written;
    // a key is a few bytes: a loop beats TypedArray.set's call for them
    if (bytes.length <= 32) for (let index = 0; index < bytes.length; index += 1) buffer[at++] = bytes[index];
    else {
      buffer.set(bytes, at);
      at += bytes.length;
    }
    this.written = at;
  }

  /** Appends text that is already JSON (any characters: written as UTF-8). */
  raw(text: string): void {
    // room for the text's length first (its UTF-8 size when it is ASCII), its UTF-8 size once it did not fit
    this.reserve(text.length);
    for (;;) {
      const written = this.buffer.write(text, this.written, 'utf8');
      // write() stops before a character that does not fit whole: with less room left than the
      // longest character (4 bytes), the text may have been cut, so it is measured then
      if (this.buffer.length - (this.written + written) >= 4 || written === Buffer.byteLength(text)) {
        this.written += written;
        return;
      }
      this.reserve(Buffer.byteLength(text));
    }
  }

  /** Appends JSON.stringify(value) for a value a document holds (null for undefined, a NaN or an infinity, as in an array). */
  value(value: unknown): void {
    if (value === null || value === undefined) this.ascii('null');
    else if (typeof value === 'string') this.string(value);
    else if (typeof value === 'number') this.number(value);
    else if (typeof value === 'boolean') this.ascii(value ? 'true' : 'false');
    else this.raw(JSON.stringify(value) ?? 'null');
  }

  /** Appends a string as JSON.stringify writes it: quoted, its quotes, backslashes, controls and lone surrogates escaped. */
  string(text: string): void {
    const start = this.written;
    this.reserve(text.length + 2);
    const buffer = this.buffer;
    let at = start;
    buffer[at++] = 0x22;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      // anything JSON.stringify escapes or UTF-8 writes in more than a byte: the string is written by JSON.stringify
      if (code < 0x20 || code >= 0x80 || code === 0x22 || code === 0x5c) {
        this.written = start;
        this.raw(JSON.stringify(text));
        return;
      }
      buffer[at++] = code;
    }
    buffer[at++] = 0x22;
    this.written = at;
  }

  /** Appends a number as JSON.stringify writes it (null when not finite). */
  number(value: number): void {
    if (!Number.isFinite(value)) this.ascii('null');
    else if (Number.isInteger(value) && value > -0x80000000 && value < 0x80000000 && !Object.is(value, -0)) this.integer(value);
    else this.ascii(String(value));
  }

  /** A small integer's digits, with no string made. */
  private integer(value: number): void {
    this.reserve(11);
    const buffer = this.buffer;
    let at = this.written;
    let rest = value;
    if (rest < 0) {
      buffer[at++] = 0x2d;
      rest = -rest;
    }
    let digits = 1;
    for (let scale = 10; scale <= rest; scale *= 10) digits += 1;
    at += digits;
    this.written = at;
    do {
      buffer[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  /** Appends ASCII text (a literal or a number's digits) byte for byte. */
  private ascii(text: string): void {
    this.reserve(text.length);
    const buffer = this.buffer;
    const start = this.written;
    for (let index = 0; index < text.length; index += 1) buffer[start + index] = text.charCodeAt(index);
    this.written = start + text.length;
  }

  /** Makes room for `bytes` more bytes. */
  private reserve(bytes: number): void {
    const needed = this.written + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.written);
    this.buffer = grown;
  }
}
