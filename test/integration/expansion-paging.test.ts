import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SAKILA_DIRECTORY } from '../../examples/sakila/load-sakila.js';
import { rootIdsOfChanges, type RowChange } from '../../src/descriptors/expand-change.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { loadSakilaDatabase, loadSakilaDescriptor, sakilaDefinition } from '../helpers/sakila-pipeline.js';
import { Cleanup, endpoints } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A rename of each of `actors` (one page of changes to the actor table). */
function renames(database: string, actors: readonly number[]): RowChange[] {
  return actors.map((id) => ({
    db: database,
    table: 'actor',
    op: 'u',
    before: { actor_id: id, first_name: 'BEFORE', last_name: 'X' },
    after: { actor_id: id, first_name: 'AFTER', last_name: 'X' },
  }));
}

/**
 * A page of actor renames whose films span several lookup pages: every film of every renamed
 * actor must come out. On MariaDB 10.11 the continuation page of the film_actor lookup, as a
 * SELECT DISTINCT, was answered by a loose index scan that returned no row, so all but the
 * first page of films were never rebuilt (151 renamed actors: 1,001 of 4,112 links found).
 */
describe('expanding a page of changes whose roots fill several lookup pages (real MariaDB, Sakila)', () => {
  it('finds every film of every renamed actor, whatever the page size', async () => {
    const { database, admin } = await loadSakilaDatabase(cleanup, 'expansion');
    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
    cleanup.add(() => pool.end());
    const descriptor = await loadSakilaDescriptor(pool, { database, pipeline: 'expansion', file: join(SAKILA_DIRECTORY, 'pipeline.yml') }, sakilaDefinition('films'));
    const cases: Array<{ actors: number[]; pageSize: number }> = [
      { actors: Array.from({ length: 200 }, (_, index) => index + 1), pageSize: 500 },
      // 151 actors in no order, as a page of the actor topic holds them
      { actors: Array.from({ length: 151 }, (_, index) => 1 + ((index * 37) % 200)), pageSize: 500 },
      { actors: Array.from({ length: 151 }, (_, index) => 1 + ((index * 37) % 200)), pageSize: 97 },
    ];
    for (const { actors, pageSize } of cases) {
      const [rows] = await admin.query(`SELECT DISTINCT film_id FROM \`${database}\`.film_actor WHERE actor_id IN (?)`, [actors]);
      const expected = new Set((rows as Array<{ film_id: number }>).map((row) => String(row.film_id)));
      const found = new Set<string>();
      let largest = 0;
      for await (const ids of rootIdsOfChanges(descriptor, renames(database, actors), { queries: pool, pageSize })) {
        largest = Math.max(largest, ids.length);
        for (const id of ids) found.add(id);
      }
      const missing = [...expected].filter((id) => !found.has(id));
      expect(missing, `${actors.length} actors, lookup pages of ${pageSize}: ${missing.length} of ${expected.size} films not found`).toEqual([]);
      expect([...found].filter((id) => !expected.has(id))).toEqual([]);
      expect(expected.size).toBeGreaterThan(pageSize);
      expect(largest).toBeLessThanOrEqual(pageSize);
    }
  }, 120_000);
});
