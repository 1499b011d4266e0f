import { describe, expect, it } from 'vitest';
import type { BuiltDocument } from '../../../../src/descriptors/build-documents.js';
import { syncDocumentBody, syncSuffix } from '../../../../src/sinks/orchestrator/channel-writer.js';

/** A built document of `source` (its last property `_sluice`), its bytes as the build writes them. */
function built(id: string, source: Record<string, unknown>): BuiltDocument {
  const body = Buffer.from(JSON.stringify(source));
  return { id, hash: 'h', body, jsonBytes: body.length, json: body.toString('utf8'), source: source as BuiltDocument['source'] };
}

describe('a full sync document', () => {
  it('is the built document with _sluice.version, batch_index_date and last_updated added, characters of any width kept whole', () => {
    const source = { name: 'lampe à poser 💡', notes: 'a "quoted" \\ line\n', tags: ['é', 'x'], _sluice: { id: '7', hash: 'h', refs: ['shop.product:7'] } };
    const synced = syncDocumentBody(built('7', source), syncSuffix(42, 1_764_000_000_123));
    expect(JSON.parse(synced.toString('utf8'))).toEqual({ ...source, _sluice: { ...source._sluice, version: 42 }, batch_index_date: 1_764_000_000_123, last_updated: 1_764_000_000_123 });
    expect(synced.toString('utf8')).toBe(`${JSON.stringify(source).slice(0, -2)},"version":42},"batch_index_date":1764000000123,"last_updated":1764000000123}`);
  });

  it('refuses a document that does not end with its _sluice object', () => {
    expect(() => syncDocumentBody(built('8', { _sluice: { id: '8' }, after: 1 }), syncSuffix(1, 2))).toThrow(/document 8 does not end with its _sluice object/);
    expect(() => syncDocumentBody(built('9', {}), syncSuffix(1, 2))).toThrow(/document 9/);
  });
});
