import { describe, expect, it } from 'vitest';
import type { ColumnDefinition } from '../../../src/model/column.js';
import { normalizeRow, normalizeValue } from '../../../src/model/value-normalizer.js';

const column = (baseType: string, name = 'c'): ColumnDefinition => ({ name, baseType, unsigned: false });

describe('normalizeValue', () => {
  it('turns null and undefined into null, whatever the type', () => {
    for (const baseType of ['int', 'bigint', 'decimal', 'json', 'uuid', 'varchar', 'datetime']) {
      expect(normalizeValue(column(baseType), null)).toBeNull();
      expect(normalizeValue(column(baseType), undefined)).toBeNull();
    }
  });

  describe('BIGINT and DECIMAL', () => {
    it('keeps exact strings', () => {
      expect(normalizeValue(column('bigint'), '18446744073709551615')).toBe('18446744073709551615');
      expect(normalizeValue(column('decimal'), '12345678901234567890.1234')).toBe('12345678901234567890.1234');
    });

    it('turns numbers into strings', () => {
      expect(normalizeValue(column('bigint'), 42)).toBe('42');
      expect(normalizeValue(column('bigint'), -7)).toBe('-7');
      expect(normalizeValue(column('decimal'), 1.5)).toBe('1.5');
      expect(normalizeValue(column('decimal'), 0)).toBe('0');
    });

    it('turns bigints into exact strings', () => {
      expect(normalizeValue(column('bigint'), 18446744073709551615n)).toBe('18446744073709551615');
      expect(normalizeValue(column('bigint'), -9223372036854775808n)).toBe('-9223372036854775808');
    });
  });

  describe('JSON', () => {
    it('keeps JSON text as it is', () => {
      expect(normalizeValue(column('json'), '{"b": 1, "a": [true, null]}')).toBe('{"b": 1, "a": [true, null]}');
    });

    it('serializes a parsed object or array', () => {
      expect(normalizeValue(column('json'), { a: 1, b: ['x', null] })).toBe('{"a":1,"b":["x",null]}');
      expect(normalizeValue(column('json'), [1, 2])).toBe('[1,2]');
    });

    it('serializes parsed scalars as JSON', () => {
      expect(normalizeValue(column('json'), 5)).toBe('5');
      expect(normalizeValue(column('json'), true)).toBe('true');
    });

    it('decodes a Buffer as UTF-8 text', () => {
      expect(normalizeValue(column('json'), Buffer.from('{"name":"café"}', 'utf8'))).toBe('{"name":"café"}');
    });
  });

  describe('UUID', () => {
    const bytes = Buffer.from('123e4567e89b12d3a456426655440000', 'hex');

    it('formats 16 bytes as the canonical string', () => {
      expect(normalizeValue(column('uuid'), bytes)).toBe('123e4567-e89b-12d3-a456-426655440000');
    });

    it('keeps a UUID the server already printed', () => {
      expect(normalizeValue(column('uuid'), '123e4567-e89b-12d3-a456-426655440000')).toBe('123e4567-e89b-12d3-a456-426655440000');
    });

    it('leaves a Buffer of another length alone', () => {
      const short = Buffer.from([1, 2, 3]);
      expect(normalizeValue(column('uuid'), short)).toBe(short);
    });

    it('formats only columns of type uuid, not BINARY(16)', () => {
      const value = normalizeValue(column('binary'), bytes);
      expect(Buffer.isBuffer(value)).toBe(true);
      expect(value).toEqual(bytes);
    });
  });

  it('passes binary data through as the same Buffer', () => {
    const blob = Buffer.from([0, 255, 16]);
    expect(normalizeValue(column('varbinary'), blob)).toBe(blob);
    expect(normalizeValue(column('blob'), blob)).toBe(blob);
  });

  it('passes strings and numbers of other types through', () => {
    expect(normalizeValue(column('varchar'), 'ACADEMY DINOSAUR')).toBe('ACADEMY DINOSAUR');
    expect(normalizeValue(column('int'), 42)).toBe(42);
    expect(normalizeValue(column('double'), 0.25)).toBe(0.25);
    expect(normalizeValue(column('datetime'), '2006-02-15 05:05:03')).toBe('2006-02-15 05:05:03');
  });

  it('turns a bigint of another type into a string', () => {
    expect(normalizeValue(column('int'), 12n)).toBe('12');
  });

  it('turns a Date into an ISO string in UTC', () => {
    expect(normalizeValue(column('timestamp'), new Date(Date.UTC(2006, 1, 15, 5, 5, 3, 120)))).toBe('2006-02-15T05:05:03.120Z');
  });

  it('serializes any other value as JSON', () => {
    expect(normalizeValue(column('set'), ['a', 'b'])).toBe('["a","b"]');
    expect(normalizeValue(column('tinyint'), true)).toBe('true');
  });
});

describe('normalizeRow', () => {
  const columns = [column('bigint', 'id'), column('varchar', 'title'), column('json', 'meta')];

  it('normalizes each column and keeps them in column order', () => {
    const row = normalizeRow(columns, { meta: { a: 1 }, title: 'X', id: 5n });
    expect(row).toEqual({ id: '5', title: 'X', meta: '{"a":1}' });
    expect(Object.keys(row)).toEqual(['id', 'title', 'meta']);
  });

  it('drops values of columns it was not given', () => {
    expect(normalizeRow(columns, { id: '1', title: 'X', meta: null, extra: 'dropped' })).toEqual({ id: '1', title: 'X', meta: null });
  });

  it('gives a column missing from the row a null value', () => {
    expect(normalizeRow(columns, { id: 1 })).toEqual({ id: '1', title: null, meta: null });
  });

  it('gives an empty row for no columns', () => {
    expect(normalizeRow([], { id: 1 })).toEqual({});
  });
});
