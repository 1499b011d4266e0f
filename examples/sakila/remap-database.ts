/**
 * The database of `npm run demo:mapping-change`: a copy of Sakila in its own database (so the demo
 * can change films freely, and `npm run demo`'s `sakila` stays as it is), with more films than
 * Sakila's 1,000 so that filling a new index takes a few seconds: film N (N > 1,000) is a copy of
 * film ((N - 1) mod 1000) + 1 with " <copy number>" appended to its title, with the same actors and
 * categories.
 */
import type { Connection } from 'mysql2/promise';
import { loadSakila, sakilaCounts } from './load-sakila.js';

/** Sakila's own films (ids 1 to 1,000). */
const SAKILA_FILMS = 1000;

/** The film columns a copy takes over (film_id and title are derived). */
const COPIED_COLUMNS = 'description, release_year, language_id, original_language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features';

/** What {@link prepareRemapDatabase} did. */
export interface PreparedDatabase {
  /** Whether Sakila had to be loaded (the database was absent). */
  readonly loaded: boolean;
  /** Films added (copies) or removed (copies beyond the asked count). */
  readonly added: number;
  readonly removed: number;
  readonly films: number;
}

/**
 * Makes `database` hold Sakila with exactly `films` films (ids 1 to `films`): loads Sakila when the
 * database is absent, then adds the missing copies (with their film_actor and film_category rows)
 * or deletes the copies beyond `films`. A run that finds the right count changes nothing.
 */
export async function prepareRemapDatabase(sql: Connection, mysqlUrl: string, database: string, films: number): Promise<PreparedDatabase> {
  if (films < SAKILA_FILMS) throw new Error(`the demo needs at least Sakila's ${SAKILA_FILMS} films (asked for ${films})`);
  let loaded = false;
  if ((await sakilaCounts(sql, database)) === undefined) {
    await loadSakila(mysqlUrl, database);
    loaded = true;
  }
  const db = `\`${database}\``;
  const before = await filmCount(sql, database);
  let added = 0;
  let removed = 0;
  if (before > films) {
    await sql.beginTransaction();
    await sql.query(`DELETE FROM ${db}.film_actor WHERE film_id > ?`, [films]);
    await sql.query(`DELETE FROM ${db}.film_category WHERE film_id > ?`, [films]);
    const [result] = await sql.query(`DELETE FROM ${db}.film WHERE film_id > ?`, [films]);
    await sql.commit();
    removed = (result as { affectedRows: number }).affectedRows;
  }
  for (let copy = 1; copy * SAKILA_FILMS < films; copy += 1) {
    const offset = copy * SAKILA_FILMS;
    // one transaction per copy of the 1,000: the film rows, then their links
    await sql.beginTransaction();
    const [result] = await sql.query(
      `INSERT INTO ${db}.film (film_id, title, ${COPIED_COLUMNS})
       SELECT f.film_id + ?, CONCAT(f.title, ' ', ?), ${COPIED_COLUMNS.split(', ').map((column) => `f.${column}`).join(', ')}
         FROM ${db}.film f
        WHERE f.film_id <= ? AND f.film_id + ? <= ?
          AND NOT EXISTS (SELECT 1 FROM ${db}.film c WHERE c.film_id = f.film_id + ?)`,
      [offset, copy + 1, SAKILA_FILMS, offset, films, offset],
    );
    await sql.query(`INSERT IGNORE INTO ${db}.film_actor (actor_id, film_id) SELECT actor_id, film_id + ? FROM ${db}.film_actor WHERE film_id <= ? AND film_id + ? <= ?`, [offset, SAKILA_FILMS, offset, films]);
    await sql.query(`INSERT IGNORE INTO ${db}.film_category (film_id, category_id) SELECT film_id + ?, category_id FROM ${db}.film_category WHERE film_id <= ? AND film_id + ? <= ?`, [offset, SAKILA_FILMS, offset, films]);
    await sql.commit();
    added += (result as { affectedRows: number }).affectedRows;
  }
  const after = await filmCount(sql, database);
  if (after !== films) throw new Error(`${database}.film holds ${after} films after preparing it, not ${films}: drop the database (DROP DATABASE ${database}) and run the demo again`);
  return { loaded, added, removed, films: after };
}

/** The rows of `database`.film. */
export async function filmCount(sql: Connection, database: string): Promise<number> {
  const [rows] = await sql.query(`SELECT COUNT(*) AS n FROM \`${database}\`.film`);
  return Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
}
