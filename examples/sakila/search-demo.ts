/**
 * The search engine side of `npm run demo` (Elasticsearch or OpenSearch, through the engine port):
 * counts, a full-text search over the films documents of examples/sakila/pipeline.yml and how the
 * demo prints films.
 */
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';

/** A film document as the sink writes it (see `documents.films` in pipeline.yml). */
export interface FilmDocument {
  readonly film_id: number;
  readonly title: string;
  readonly description: string | null;
  readonly release_year: number | null;
  readonly rental_rate: string;
  readonly length: number | null;
  readonly rating: string | null;
  readonly special_features: string | null;
  readonly last_update: string;
  readonly language: string | null;
  readonly actors: ReadonlyArray<{ readonly id: number; readonly first_name: string; readonly last_name: string }>;
  readonly categories: readonly string[];
}

/** One hit of {@link searchFilms}. */
export interface FilmHit {
  readonly id: string;
  readonly score: number;
  readonly film: FilmDocument;
}

/** The searchable documents of `index` (refreshed first), or undefined when the index does not exist. */
export async function documentCount(engine: SearchEngine, index: string): Promise<number | undefined> {
  if (!(await engine.indexExists(index))) return undefined;
  await engine.refresh(index);
  return engine.count(index);
}

/** How many documents of `index` have `value` in the keyword field `field` (refreshed first). */
export async function countTerm(engine: SearchEngine, index: string, field: string, value: string): Promise<number> {
  await engine.refresh(index);
  return engine.count(index, { term: { [field]: value } });
}

/** A document by id (a real-time get: no refresh needed) without its `_sluice` field, or undefined when absent. */
export async function getFilm(engine: SearchEngine, index: string, id: string): Promise<FilmDocument | undefined> {
  const document = await engine.get<FilmDocument & { _sluice?: unknown }>(index, id);
  if (document === undefined) return undefined;
  const { _sluice, ...film } = document._source;
  return film;
}

/** The query of the demo's search: `text` in the title (boosted) or the description. */
export function filmQuery(text: string): Record<string, unknown> {
  return { multi_match: { query: text, fields: ['title^3', 'description'] } };
}

/** A full-text search over the films: the total number of hits and the best `size`. */
export async function searchFilms(engine: SearchEngine, index: string, text: string, size: number): Promise<{ total: number; hits: FilmHit[] }> {
  const response = await engine.search<FilmDocument>({
    index,
    size,
    track_total_hits: true,
    query: filmQuery(text),
    sort: [{ _score: { order: 'desc' } }, { film_id: { order: 'asc' } }], // equal scores in a stable order
    _source: { excludes: ['_sluice'] },
  });
  return {
    total: response.total ?? 0,
    hits: response.hits.flatMap((hit) => (hit._source === undefined ? [] : [{ id: hit._id, score: hit._score ?? 0, film: hit._source }])),
  };
}

/** "PENELOPE GUINESS" -> "Penelope Guiness" (Sakila stores names in capitals). */
function capitalized(name: string): string {
  return name.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
}

/** The first `count` actors of a film as "First Last, First Last". */
function firstActors(film: FilmDocument, count: number): string {
  const names = film.actors.slice(0, count).map((actor) => capitalized(`${actor.first_name} ${actor.last_name}`));
  return film.actors.length > count ? `${names.join(', ')}, ...` : names.join(', ');
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

/** Search hits as an aligned table: title, language, categories, actors (number and first names), rental rate. */
export function formatFilmHits(hits: readonly FilmHit[]): string[] {
  const rows = hits.map((hit, rank) => [
    String(rank + 1),
    cut(hit.film.title, 28),
    hit.film.language ?? '-',
    hit.film.categories.join(', ') || '-',
    String(hit.film.actors.length),
    cut(firstActors(hit.film, 2), 40),
    hit.film.rental_rate,
  ]);
  const header = ['#', 'title', 'language', 'categories', 'actors', 'first actors', 'rental_rate'];
  const right = new Set([0, 4, 6]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => (right.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** A film document made short enough to print: the actors reduced to their number and first names. */
export function shortFilm(film: FilmDocument): Record<string, unknown> {
  const { actors, ...rest } = film;
  return { ...rest, actors: `${actors.length} actors: ${firstActors(film, 3)}` };
}

/** The fields whose values differ between two documents, as `field: before -> after` lines. */
export function changedFields(beforeDocument: object, afterDocument: object): string[] {
  const before = beforeDocument as Record<string, unknown>;
  const after = afterDocument as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = fields.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
  const width = Math.max(0, ...changed.map((field) => field.length + 1));
  return changed.map((field) => `${`${field}:`.padEnd(width)} ${JSON.stringify(before[field])} -> ${JSON.stringify(after[field])}`);
}
