import { describe, expect, it } from 'vitest';
import { bulkBody, serializeOperation, serializeSizedOperation } from '../../../src/sinks/elasticsearch/bulk-response.js';

/** The action line as JSON.stringify writes it from the objects (what serializeOperation must equal). */
function stringified(kind: 'index' | 'delete', index: string, id: string, version?: number): string {
  const meta: Record<string, unknown> = { _index: index, _id: id };
  if (version !== undefined) Object.assign(meta, { version, version_type: 'external_gte' });
  return JSON.stringify({ [kind]: meta });
}

describe('the action line of a bulk operation', () => {
  const ids = ['7', 'a "quoted" \\ id', 'line\nbreak', 'café ✓', '[1,"x"]'];

  it('is the text JSON.stringify gives for the action object, for index and delete, with and without a version', () => {
    for (const id of ids) {
      for (const version of [undefined, 0, 1_733_000_000_123]) {
        const versioned = version === undefined ? {} : { version };
        const [indexLine, source] = serializeOperation({ kind: 'index', index: 'shop-products', id, json: '{"n":1}', ...versioned }).split('\n');
        expect(indexLine).toBe(stringified('index', 'shop-products', id, version));
        expect(source).toBe('{"n":1}');
        expect(serializeOperation({ kind: 'delete', index: 'shop-products', id, ...versioned })).toBe(`${stringified('delete', 'shop-products', id, version)}\n`);
      }
    }
  });

  it('parses back to the operation', () => {
    const line = serializeOperation({ kind: 'delete', index: 'x"y', id: 'a\\b', version: 42 });
    expect(JSON.parse(line)).toEqual({ delete: { _index: 'x"y', _id: 'a\\b', version: 42, version_type: 'external_gte' } });
  });

  it('counts the UTF-8 bytes of the lines it returns, for multi-byte index names, ids and documents too', () => {
    for (const [id, index] of ids.flatMap((id) => ['shop-products', 'magasin-é✓'].map((index) => [id, index] as const))) {
      for (const operation of [
        { kind: 'index' as const, index, id, version: 5, json: '{"name":"Škoda ✓ 東京"}' },
        { kind: 'index' as const, index, id, version: 5, json: '{"name":"Škoda ✓ 東京"}', jsonBytes: Buffer.byteLength('{"name":"Škoda ✓ 東京"}') },
        { kind: 'index' as const, index, id, document: { name: 'café' } },
        { kind: 'delete' as const, index, id, version: 1_733_000_000_123 },
        { kind: 'delete' as const, index, id },
      ]) {
        const sized = serializeSizedOperation(operation);
        const body = bulkBody([sized]);
        expect(body.toString('utf8')).toBe(serializeOperation(operation));
        expect(sized.bytes).toBe(body.length);
      }
    }
  });

  it('takes the source\'s size from jsonBytes when the caller gives it (the builder counts it on the parts)', () => {
    const action = serializeOperation({ kind: 'delete', index: 'shop-products', id: '7' }).replace('delete', 'index');
    const sized = serializeSizedOperation({ kind: 'index', index: 'shop-products', id: '7', json: '{"n":1}', jsonBytes: 1_000 });
    expect(bulkBody([sized]).toString('utf8')).toBe(`${action}{"n":1}\n`);
    expect(sized.bytes).toBe(Buffer.byteLength(action) + 1_000 + 1);
  });

  it('makes one body of many operations from texts and UTF-8 bytes alike, whole even when a given size was short', () => {
    const multiByte = '{"name":"Škoda ✓ 東京 😀"}';
    const operations = [
      { kind: 'index' as const, index: 'magasin-é✓', id: 'ü1', version: 5, json: Buffer.from(multiByte) },
      { kind: 'delete' as const, index: 'shop-products', id: '2', version: 6 },
      // sizes given short (as a wrong count would be): the body grows instead of cutting the text
      { kind: 'index' as const, index: 'shop-products', id: '3', json: multiByte, jsonBytes: 1 },
      { kind: 'index' as const, index: 'shop-products', id: '4', json: multiByte.repeat(3), jsonBytes: 2 },
      { kind: 'index' as const, index: 'shop-products', id: '5', document: { n: 'é' } },
    ];
    const body = bulkBody(operations.map((operation) => serializeSizedOperation(operation)));
    const expected = operations.map((operation) => serializeOperation(operation)).join('');
    expect(body.toString('utf8')).toBe(expected);
    expect(body.length).toBe(Buffer.byteLength(expected));
    expect(bulkBody([]).length).toBe(0);
  });
});
