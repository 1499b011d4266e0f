import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Row } from '../../../../src/model/change-event.js';
import { parseColumnType } from '../../../../src/sources/mysql/column-definition.js';
import { changeEventReader, decodeChangeEvent, encodeChangeEvent, parseSchema, writerSchema } from '../../../../src/streams/avro/change-event-codec.js';
import { unframe } from '../../../../src/streams/avro/framing.js';
import { UndecodableMessageError } from '../../../../src/streams/avro/undecodable-message-error.js';
import { bigIntToBytes, bytesToBigInt, decimalToUnscaled, smallUnscaledToDecimal, unscaledToDecimal } from '../../../../src/streams/avro/decimal-string-type.js';

const COLUMNS = [
  ['id', 'bigint(20) unsigned'],
  ['sb', 'bigint(20)'],
  ['ti', 'tinyint(4)'],
  ['iu', 'int(10) unsigned'],
  ['d', 'decimal(30,10)'],
  ['f', 'float'],
  ['db', 'double'],
  ['dt', 'datetime(6)'],
  ['ts', 'timestamp(3)'],
  ['dte', 'date'],
  ['tm', 'time(6)'],
  ['yr', 'year(4)'],
  ['js', 'longtext'],
  ['en', "enum('a','b,c')"],
  ['st', "set('x','y')"],
  ['bl', 'blob'],
  ['bt', 'bit(10)'],
  ['vc', 'varchar(20)'],
  ['nul', 'int(11)'],
  ['odd name-é', 'varchar(5)'],
].map(([name, type]) => parseColumnType(name, type));

const ROW: Row = {
  id: '18446744073709551615',
  sb: '-9223372036854775808',
  ti: -128,
  iu: 4294967295,
  d: '-12345678901234567890.0123456789',
  f: 1.5,
  db: 2.25,
  dt: '2024-02-29 23:59:59.123456',
  ts: '2038-01-19 03:14:07.999',
  dte: '9999-12-31',
  tm: '-838:59:59.000000',
  yr: 2155,
  js: '{"big":12345678901234567890}',
  en: 'b,c',
  st: 'x,y',
  bl: Buffer.from([0, 255]),
  bt: Buffer.from([2, 1]),
  vc: 'héllo',
  nul: null,
  'odd name-é': 'ok',
};

function event(after: Row | null, before: Row | null = null): ChangeEvent {
  return {
    op: before === null ? 'c' : after === null ? 'd' : 'u',
    before,
    after,
    source: { version: '0.1.0', connector: 'mysql', name: 'p', tsMs: 1_700_000_000_000, snapshot: 'false', db: 'shop', table: 'item', serverId: 1, gtid: '0-1-42', file: 'binlog.000001', pos: 1234, row: 3 },
    tsMs: 1_700_000_000_123,
    transaction: { id: '0-1-42', totalOrder: 4 },
  };
}

describe('change event codec', () => {
  it('round-trips every column type exactly, with the Debezium envelope', async () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const original = event(ROW, { ...ROW, vc: 'before' });
    const decoded = await decodeChangeEvent(encodeChangeEvent(schema, original), (id) => {
      expect(id).toBe(schema.id);
      return Promise.resolve(schema.json);
    });
    expect(decoded).toEqual(original);
  });

  it('decodes old messages with their own schema after the table changed', async () => {
    const v1 = writerSchema('p', 'shop', 'item', COLUMNS.slice(0, 3));
    const v2 = writerSchema('p', 'shop', 'item', [...COLUMNS.slice(0, 3), parseColumnType('added', 'varchar(10)')]);
    expect(v2.id).not.toBe(v1.id);
    const registry = new Map([
      [v1.id, v1.json],
      [v2.id, v2.json],
    ]);
    const resolve = (id: string): Promise<string> => Promise.resolve(registry.get(id)!);
    const old = await decodeChangeEvent(encodeChangeEvent(v1, event({ id: '1', sb: '2', ti: 3 })), resolve);
    const latest = await decodeChangeEvent(encodeChangeEvent(v2, event({ id: '1', sb: '2', ti: 3, added: 'new' })), resolve);
    expect(old.after).toEqual({ id: '1', sb: '2', ti: 3 });
    expect(latest.after).toEqual({ id: '1', sb: '2', ti: 3, added: 'new' });
  });

  it('gives different ids to decimals that differ only in scale', () => {
    const scale2 = writerSchema('p', 'shop', 'item', [parseColumnType('d', 'decimal(10,2)')]);
    const scale4 = writerSchema('p', 'shop', 'item', [parseColumnType('d', 'decimal(10,4)')]);
    expect(scale2.id).not.toBe(scale4.id);
  });

  it('refuses a value that does not fit its column', () => {
    const schema = writerSchema('p', 'shop', 'item', [parseColumnType('d', 'decimal(4,2)')]);
    expect(() => encodeChangeEvent(schema, event({ d: '123.45' }))).toThrow('cannot encode a change event of shop.item');
  });

  it('rejects messages without the sluice frame as undecodable', async () => {
    const decoding = decodeChangeEvent(Buffer.from('{"json":true}'), () => Promise.resolve(''));
    await expect(decoding).rejects.toThrow('not a sluice Avro message');
    await expect(decoding).rejects.toBeInstanceOf(UndecodableMessageError);
  });

  it('rejects a body its writer schema cannot read as undecodable', async () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const framed = encodeChangeEvent(schema, event(ROW, null));
    const truncated = framed.subarray(0, 14);
    const decoding = decodeChangeEvent(truncated, () => Promise.resolve(schema.json));
    await expect(decoding).rejects.toBeInstanceOf(UndecodableMessageError);
    await expect(decoding).rejects.toThrow(`cannot be read with its writer schema ${schema.id}`);
  });

  it('passes a failing schema lookup through as it is: it is not a property of the bytes', async () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const lookup = new kafkajs.KafkaJSNumberOfRetriesExceeded(new kafkajs.KafkaJSConnectionError('Connection error: read ECONNRESET', { broker: 'k:9092', code: 'ECONNRESET' }), { retryCount: 5, retryTime: 1000 });
    const decoding = decodeChangeEvent(encodeChangeEvent(schema, event(ROW, null)), () => Promise.reject(lookup));
    await expect(decoding).rejects.toBe(lookup);
  });
});

describe('a reader narrowed to some columns', () => {
  /** Only these columns, of ROW and of a before image differing in every one of them. */
  const pick = (row: Row, columns: ReadonlySet<string>): Row => Object.fromEntries(Object.entries(row).filter(([column]) => columns.has(column)));

  it("decodes exactly the named columns of both images, with the values the whole reader gives them, and of the envelope only what the sink reads", () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const before: Row = { ...ROW, id: '1', d: '0.0000000001', vc: 'before', 'odd name-é': 'old', bl: Buffer.from([7]) };
    const { body } = unframe(encodeChangeEvent(schema, event(ROW, before)));
    const whole = changeEventReader(schema.json, schema.id).read(body, schema.id);
    const { tsMs, snapshot, db, table, gtid, file, pos } = whole.source;
    // 'odd name-é' has another Avro name: with it the rows are copied under their column names, without it the decoded record is the event
    for (const columns of [new Set(['id']), new Set(['id', 'd', 'odd name-é', 'bl', 'nul']), new Set(['vc', 'no such column']), new Set<string>()]) {
      const narrowed = changeEventReader(schema.json, schema.id, columns).read(body, schema.id);
      expect(narrowed).toEqual({ op: 'u', before: pick(before, columns), after: pick(ROW, columns), tsMs: whole.tsMs, source: { tsMs, snapshot, db, table, gtid, file, pos } });
    }
    expect(whole.source).toMatchObject({ version: '0.1.0', serverId: 1, row: 3 });
  });

  it('reads an envelope without some of the source fields the sink reads whole, its row images narrowed', () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS.slice(0, 3));
    const envelope = JSON.parse(schema.json) as { fields: Array<{ name: string; type: { fields?: Array<{ name: string }> } }> };
    const sourceType = envelope.fields.find((field) => field.name === 'source')?.type;
    if (sourceType?.fields === undefined) throw new Error('no source record');
    sourceType.fields = sourceType.fields.filter((field) => field.name !== 'file' && field.name !== 'pos');
    const json = JSON.stringify(envelope);
    const record = { before: null, after: { id: '1', sb: '2', ti: 3 }, source: { version: '0', connector: 'mysql', name: 'p', ts_ms: 5, snapshot: 'false', db: 'shop', table: 'item', server_id: 1, gtid: null, row: 0 }, op: 'c', ts_ms: 6, transaction: null };
    const decoded = changeEventReader(json, 'old', new Set(['id', 'ti'])).read(parseSchema(json).toBuffer(record), 'old');
    expect(decoded).toMatchObject({ op: 'c', before: null, after: { id: '1', ti: 3 }, tsMs: 6, source: { tsMs: 5, db: 'shop', table: 'item' } });
    expect(decoded.after).not.toHaveProperty('sb');
  });

  it('keeps null images null, and reads messages of an older writer schema without the columns it lacks', () => {
    const v1 = writerSchema('p', 'shop', 'item', COLUMNS.slice(0, 3));
    const columns = new Set(['id', 'ti', 'added']);
    const created = changeEventReader(v1.json, v1.id, columns).read(unframe(encodeChangeEvent(v1, event({ id: '1', sb: '2', ti: 3 }))).body, v1.id);
    expect(created.before).toBeNull();
    expect(created.after).toEqual({ id: '1', ti: 3 });
  });

  it('is compiled once per column set and writer schema', () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const columns = new Set(['id']);
    expect(changeEventReader(schema.json, schema.id, columns)).toBe(changeEventReader(schema.json, schema.id, columns));
    expect(changeEventReader(schema.json, schema.id, columns)).not.toBe(changeEventReader(schema.json, schema.id));
  });

  it('still rejects a body its writer schema cannot read as undecodable', () => {
    const schema = writerSchema('p', 'shop', 'item', COLUMNS);
    const truncated = unframe(encodeChangeEvent(schema, event(ROW, null))).body.subarray(0, 20);
    expect(() => changeEventReader(schema.json, schema.id, new Set(['id'])).read(truncated, schema.id)).toThrow(UndecodableMessageError);
    expect(() => changeEventReader('{"type":"record","name":"x","fields":[]}', 'x', new Set(['id']))).toThrow(UndecodableMessageError);
  });
});

describe('exact decimals', () => {
  it('converts between decimal strings and unscaled integers', () => {
    expect(decimalToUnscaled('-1.50', 3)).toBe(-1500n);
    expect(decimalToUnscaled('12.345', 2)).toBeUndefined();
    expect(decimalToUnscaled('abc', 2)).toBeUndefined();
    expect(unscaledToDecimal(-1500n, 3)).toBe('-1.500');
    expect(unscaledToDecimal(5n, 3)).toBe('0.005');
    expect(unscaledToDecimal(18446744073709551615n, 0)).toBe('18446744073709551615');
  });

  it('uses minimal two-complement bytes', () => {
    for (const value of [0n, 127n, 128n, -128n, -129n, 18446744073709551615n, -9223372036854775808n]) {
      expect(bytesToBigInt(bigIntToBytes(value))).toBe(value);
    }
    expect(bigIntToBytes(128n)).toEqual(Buffer.from([0, 128]));
    expect(bigIntToBytes(-1n)).toEqual(Buffer.from([255]));
  });

  it('decodes small unscaled integers (up to 6 bytes, read without BigInt) exactly as large ones', () => {
    const type = parseSchema({ type: 'bytes', logicalType: 'decimal', precision: 38, scale: 2 } as never);
    const edges = [0n, 1n, -1n, 99n, -100n, 127n, -128n, 32767n, -32768n, 2n ** 47n - 1n, -(2n ** 47n), 2n ** 47n, -(2n ** 47n) - 1n, 2n ** 63n];
    for (const unscaled of edges) {
      const text = unscaledToDecimal(unscaled, 2);
      expect(type.fromBuffer(type.toBuffer(text))).toBe(text);
      expect(bytesToBigInt(bigIntToBytes(unscaled))).toBe(unscaled);
    }
    const scale0 = parseSchema({ type: 'bytes', logicalType: 'decimal', precision: 20, scale: 0 } as never);
    expect(scale0.fromBuffer(scale0.toBuffer('-140737488355328'))).toBe('-140737488355328');
    expect(smallUnscaledToDecimal(-5, 3)).toBe('-0.005');
    expect(smallUnscaledToDecimal(0, 0)).toBe('0');
  });

  it('writes the same minimal bytes on both sides of every byte boundary (the 6-byte fast path and the BigInt path agree)', () => {
    // the reference: the shortest two's complement that reads back, found by trying each length
    const reference = (value: bigint): Buffer => {
      for (let bytes = 1; ; bytes += 1) {
        if (BigInt.asIntN(8 * bytes, value) === value) return Buffer.from(BigInt.asUintN(8 * bytes, value).toString(16).padStart(2 * bytes, '0'), 'hex');
      }
    };
    const values: bigint[] = [];
    for (let bits = 1; bits <= 72; bits += 1) {
      const edge = 1n << BigInt(bits);
      values.push(edge - 1n, edge, edge + 1n, -edge - 1n, -edge, -edge + 1n);
    }
    for (const value of values) {
      expect(bigIntToBytes(value)).toEqual(reference(value));
      expect(bytesToBigInt(bigIntToBytes(value))).toBe(value);
    }
  });
});

describe('parseColumnType', () => {
  it('reads information_schema and binlog spellings alike', () => {
    expect(parseColumnType('a', 'bigint(20) unsigned')).toEqual(parseColumnType('a', 'bigint unsigned'));
    expect(parseColumnType('a', 'decimal(30,10)')).toMatchObject({ baseType: 'decimal', precision: 30, scale: 10 });
    expect(parseColumnType('a', 'datetime(6)')).toMatchObject({ baseType: 'datetime', fsp: 6 });
    expect(parseColumnType('a', "enum('a','it''s','b,c')").enumValues).toEqual(['a', "it's", 'b,c']);
  });
});
