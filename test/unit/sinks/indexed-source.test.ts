import { describe, expect, it } from 'vitest';
import { serializeOperation } from '../../../src/sinks/elasticsearch/bulk-response.js';
import { sourceDocument, sourceJson } from '../../../src/sinks/writer.js';

describe('an indexed document given as an object or as its JSON text only', () => {
  const document = { name: 'café', tags: ['a', 'b'], nested: { n: 1 } };
  const text = JSON.stringify(document);

  it('gives the same text either way, and the text as given when both are present', () => {
    expect(sourceJson({ document })).toBe(text);
    expect(sourceJson({ json: text })).toBe(text);
    expect(sourceJson({ document, json: '{"given":true}' })).toBe('{"given":true}');
  });

  it('gives the object either way (parsed again from the text alone)', () => {
    expect(sourceDocument({ document })).toBe(document);
    expect(sourceDocument({ json: text })).toEqual(document);
  });

  it('serializes the same bulk lines from the text alone as from the object', () => {
    const meta = { kind: 'index', index: 'products', id: '7', version: 12 } as const;
    expect(serializeOperation({ ...meta, json: text })).toBe(serializeOperation({ ...meta, document }));
    expect(serializeOperation({ ...meta, json: text })).toBe(`{"index":{"_index":"products","_id":"7","version":12,"version_type":"external_gte"}}\n${text}\n`);
  });
});
