import type { SearchEngine } from '../engine/search-engine.js';

/**
 * Finds the documents that embedded any of `references` (`db.table:key` values of `_sluice.refs`),
 * as pages of document ids: a refresh first (so every acknowledged write is searchable), then a
 * terms query paged with search_after on `_sluice.id`, so a row embedded in 100,000 documents
 * streams in pages.
 */
export async function* documentsReferencing(engine: SearchEngine, index: string, references: readonly string[], pageSize: number): AsyncGenerator<string[]> {
  if (references.length === 0) return;
  await engine.refresh(index);
  let after: readonly unknown[] | undefined;
  for (;;) {
    const response = await engine.search<{ _sluice?: { id?: string } }>({
      index,
      size: pageSize,
      _source: ['_sluice.id'],
      query: { terms: { '_sluice.refs': [...references] } },
      sort: [{ '_sluice.id': 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = response.hits;
    const ids = hits.map((hit) => hit._id).filter((id): id is string => typeof id === 'string');
    if (ids.length > 0) yield ids;
    const last = hits[hits.length - 1];
    if (last === undefined || hits.length < pageSize || last.sort === undefined) return;
    after = last.sort;
  }
}
