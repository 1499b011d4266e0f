import type { Client } from '@elastic/elasticsearch';

/**
 * Finds the documents that embedded any of `references` (`db.table:key` values of `_sluice.refs`),
 * as pages of document ids: a refresh first (so every acknowledged write is searchable), then a
 * terms query paged with search_after on `_sluice.id`, so a row embedded in 100,000 documents
 * streams in pages.
 */
export async function* documentsReferencing(client: Client, index: string, references: readonly string[], pageSize: number): AsyncGenerator<string[]> {
  if (references.length === 0) return;
  await client.indices.refresh({ index });
  let after: unknown[] | undefined;
  for (;;) {
    const response = await client.search<{ _sluice?: { id?: string } }>({
      index,
      size: pageSize,
      _source: ['_sluice.id'],
      query: { terms: { '_sluice.refs': [...references] } },
      sort: [{ '_sluice.id': 'asc' }],
      ...(after === undefined ? {} : { search_after: after as Array<string | number> }),
    });
    const hits = response.hits.hits;
    const ids = hits.map((hit) => hit._id).filter((id): id is string => typeof id === 'string');
    if (ids.length > 0) yield ids;
    const last = hits[hits.length - 1];
    if (last === undefined || hits.length < pageSize || last.sort === undefined) return;
    after = last.sort;
  }
}
