import { describe, expect, it } from 'vitest';
import { JsonByteWriter } from '../../../src/descriptors/json-byte-writer.js';

/** What `write` leaves in a fresh writer, as text and as bytes. */
function written(write: (writer: JsonByteWriter) => void, initialBytes?: number): { text: string; bytes: Buffer } {
  const writer = new JsonByteWriter(initialBytes);
  write(writer);
  return { text: writer.view().toString('utf8'), bytes: Buffer.from(writer.view()) };
}

describe('JsonByteWriter', () => {
  it('writes numbers as JSON.stringify does, integers of any size and sign, fractions, exponents, and null for what JSON cannot hold', () => {
    const numbers = [0, -0, 7, -7, 10, 99, 100, 2147483647, -2147483647, 2147483648, -2147483648, 2 ** 53 + 2, 1e21, 1e-7, 0.1, -1.5, 123456.789, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (const number of numbers) {
      expect(written((writer) => writer.number(number)).text, String(number)).toBe(JSON.stringify(number));
      expect(written((writer) => writer.value(number)).text, String(number)).toBe(JSON.stringify(number));
    }
  });

  it('writes strings as JSON.stringify does: escapes, controls, lone and paired surrogates, and multi-byte characters as UTF-8', () => {
    const texts = ['', 'plain', 'quote " backslash \\ slash /', 'controls \u0000\u0001\n\r\t\u001f', 'del \u007f', 'lone \ud800 high', 'lone \udfff low', 'pair 😀', 'separators \u2028\u2029', 'Ærø €'];
    for (const text of texts) {
      const { text: json, bytes } = written((writer) => writer.string(text));
      expect(json).toBe(JSON.stringify(text));
      expect(bytes.equals(Buffer.from(JSON.stringify(text)))).toBe(true);
    }
  });

  it('writes the other values a document holds (null, booleans, lists, objects) as JSON.stringify does', () => {
    const values: unknown[] = [null, true, false, ['red', 'big one'], [], { b: 1, a: [true, null, 'é'] }];
    for (const value of values) expect(written((writer) => writer.value(value)).text).toBe(JSON.stringify(value));
    expect(written((writer) => writer.value(undefined)).text).toBe('null');
  });

  it('grows past its first buffer keeping what it wrote, and takes back what was written after a length', () => {
    const long = 'x'.repeat(100);
    const key = Buffer.from(`,${JSON.stringify('a key longer than thirty-two bytes, copied whole')}:`);
    const { text } = written((writer) => {
      writer.bytes(Buffer.from('['));
      for (let index = 0; index < 20; index += 1) {
        if (index > 0) writer.raw(',');
        writer.string(long);
      }
      const end = writer.length;
      writer.raw(',"taken back"');
      writer.truncate(end);
      writer.raw(']');
      writer.bytes(key);
    }, 8);
    expect(text).toBe(`${JSON.stringify(Array.from({ length: 20 }, () => long))}${key.toString()}`);
  });

  it('writes text that is already JSON as UTF-8, whatever its characters', () => {
    expect(written((writer) => writer.raw('{"name":"Ærø 😀"}')).bytes.equals(Buffer.from('{"name":"Ærø 😀"}'))).toBe(true);
  });
});
