import { describe, expect, it } from 'vitest';
import { changeKey } from '../../../src/streams/change-writer.js';

describe('changeKey', () => {
  it('keeps key order for column names made of digits', () => {
    expect(changeKey(['z', '10', '2'], { z: 1, '10': 2, '2': 3 })).toBe('{"z":1,"10":2,"2":3}');
  });

  it('is the primary-key column and value as JSON', () => {
    expect(changeKey(['film_id'], { film_id: 1, title: 'ACADEMY DINOSAUR' })).toBe('{"film_id":1}');
  });

  it('lists composite keys in key order, not in row order', () => {
    const row = { last_update: '2006-02-15 05:05:03', film_id: 23, actor_id: 1 };
    expect(changeKey(['actor_id', 'film_id'], row)).toBe('{"actor_id":1,"film_id":23}');
    expect(changeKey(['film_id', 'actor_id'], row)).toBe('{"film_id":23,"actor_id":1}');
  });

  it('leaves out the columns that are not part of the key', () => {
    expect(JSON.parse(changeKey(['id'], { id: 7, name: 'x', price: '9.99' }) ?? '')).toEqual({ id: 7 });
  });

  it('writes Buffer values as hex', () => {
    expect(changeKey(['id'], { id: Buffer.from([0x00, 0xab, 0xff]) })).toBe('{"id":"00abff"}');
    expect(changeKey(['tenant', 'id'], { tenant: 3, id: Buffer.alloc(0) })).toBe('{"tenant":3,"id":""}');
  });

  it('keeps strings (BIGINT, DECIMAL, dates arrive as strings) and numbers as they are', () => {
    expect(changeKey(['id', 'day', 'n'], { id: '18446744073709551615', day: '2024-01-31', n: 0 })).toBe(
      '{"id":"18446744073709551615","day":"2024-01-31","n":0}',
    );
  });

  it('writes a null key value as null', () => {
    expect(changeKey(['a', 'b'], { a: 1, b: null })).toBe('{"a":1,"b":null}');
  });

  it('writes a key column absent from the row as null', () => {
    expect(changeKey(['a', 'b'], { a: 1 })).toBe('{"a":1,"b":null}');
  });

  it('is null without a row', () => {
    expect(changeKey(['film_id'], null)).toBeNull();
  });

  it('is null for a table without a primary key', () => {
    expect(changeKey([], { a: 1, b: 2 })).toBeNull();
  });

  it('gives every change of one row the same key', () => {
    const before = { id: 5, name: 'old' };
    const after = { id: 5, name: 'new' };
    expect(changeKey(['id'], before)).toBe(changeKey(['id'], after));
  });
});
