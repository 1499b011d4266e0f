import { describe, expect, it } from 'vitest';
import { documentValue } from '../../../src/descriptors/document-values.js';
import { parseColumnType } from '../../../src/sources/mysql/column-definition.js';
import type { ColumnValue } from '../../../src/model/change-event.js';

function value(columnType: string, columnValue: ColumnValue): unknown {
  return documentValue(parseColumnType('c', columnType), columnValue);
}

describe('documentValue', () => {
  it('keeps integers as numbers', () => {
    expect(value('int(11)', 42)).toBe(42);
    expect(value('smallint(5) unsigned', 65_535)).toBe(65_535);
    expect(value('tinyint(1)', 0)).toBe(0);
    expect(value('int(11)', -7)).toBe(-7);
  });

  it('turns a BIGINT string into a number while a double holds it exactly, a string beyond', () => {
    expect(value('bigint(20)', '12')).toBe(12);
    expect(value('bigint(20)', '-9007199254740991')).toBe(-9_007_199_254_740_991);
    expect(value('bigint(20)', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(value('bigint(20)', '9007199254740992')).toBe('9007199254740992');
    expect(value('bigint(20)', '9007199254740993')).toBe('9007199254740993');
    expect(value('bigint(20) unsigned', '18446744073709551615')).toBe('18446744073709551615');
    expect(value('bigint(20)', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(value('bigint(20)', 5)).toBe(5);
  });

  it('keeps DECIMAL as its exact string', () => {
    expect(value('decimal(4,2)', '0.99')).toBe('0.99');
    expect(value('decimal(5,2)', '20.00')).toBe('20.00');
    expect(value('decimal(65,30)', '12345678901234567890.123456789012345678901234567890')).toBe('12345678901234567890.123456789012345678901234567890');
  });

  it('writes DATETIME as an ISO local date-time, keeping the fraction', () => {
    expect(value('datetime', '2006-02-15 05:03:42')).toBe('2006-02-15T05:03:42');
    expect(value('datetime(6)', '2006-02-15 05:03:42.123456')).toBe('2006-02-15T05:03:42.123456');
    expect(value('datetime(3)', '2006-02-15 05:03:42.100')).toBe('2006-02-15T05:03:42.100');
  });

  it('writes TIMESTAMP as an ISO UTC date-time, keeping the zero date as it is', () => {
    expect(value('timestamp', '2006-02-15 05:03:42')).toBe('2006-02-15T05:03:42Z');
    expect(value('timestamp(6)', '2006-02-15 05:03:42.000001')).toBe('2006-02-15T05:03:42.000001Z');
    expect(value('timestamp', '0000-00-00 00:00:00')).toBe('0000-00-00 00:00:00');
  });

  it('keeps DATE, TIME and YEAR as MySQL prints them', () => {
    expect(value('date', '2006-02-15')).toBe('2006-02-15');
    expect(value('time', '838:59:59')).toBe('838:59:59');
    expect(value('year(4)', 2006)).toBe(2006);
  });

  it('parses JSON columns, keeping text that is not JSON', () => {
    expect(value('json', '{"a":[1,2,{"b":null}],"c":"x"}')).toEqual({ a: [1, 2, { b: null }], c: 'x' });
    expect(value('json', '[]')).toEqual([]);
    expect(value('json', '"text"')).toBe('text');
    expect(value('json', '3.5')).toBe(3.5);
    expect(value('json', '{oops')).toBe('{oops');
    expect(value('json', '')).toBe('');
  });

  it('keeps strings and enums as they are', () => {
    expect(value('varchar(45)', 'PENELOPE')).toBe('PENELOPE');
    expect(value("enum('G','PG')", 'PG')).toBe('PG');
  });

  it('turns a SET value into the list of its members', () => {
    expect(value("set('Trailers','Commentaries')", 'Trailers,Commentaries')).toEqual(['Trailers', 'Commentaries']);
    expect(value("set('Trailers','Commentaries')", 'Commentaries')).toEqual(['Commentaries']);
    expect(value("set('Trailers','Commentaries')", '')).toEqual([]);
  });

  it('writes binary values in base64, whatever the column type', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    expect(value('blob', bytes)).toBe('AP8QgA==');
    expect(value('varbinary(16)', Buffer.from('hello'))).toBe('aGVsbG8=');
    expect(value('bit(8)', Buffer.from([0x05]))).toBe('BQ==');
    expect(value('json', Buffer.from('{}'))).toBe('e30=');
    expect(value('blob', Buffer.alloc(0))).toBe('');
  });

  it('keeps null as null for every type', () => {
    for (const type of ['int(11)', 'bigint(20)', 'decimal(4,2)', 'datetime', 'timestamp', 'date', 'json', 'blob', 'varchar(10)']) {
      expect(value(type, null)).toBeNull();
    }
  });
});
