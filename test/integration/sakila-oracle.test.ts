import { afterEach, describe, expect, it } from 'vitest';
import { loadSakila, sakilaCounts } from '../../examples/sakila/load-sakila.js';
import { uniqueName } from '../helpers/names.js';
import { diffDocuments, expectedCustomerDocuments, expectedFilmDocuments } from '../helpers/sakila-oracle.js';
import { runSakilaWorkload, SAKILA_MUTATION_KINDS } from '../helpers/sakila-workload.js';
import { Cleanup, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A deep copy of a document map, so a test can change it freely. */
function copyDocuments(documents: ReadonlyMap<string, Record<string, unknown>>): Map<string, Record<string, unknown>> {
  return new Map([...documents].map(([id, document]) => [id, structuredClone(document)]));
}

describe('Sakila oracle and workload', () => {
  it('loads Sakila under any name, builds the expected documents and survives 5,000 random mutations', async () => {
    const database = uniqueName('sakila_e2e');
    const sql = await openMysql(cleanup);
    cleanup.add(() => sql.query(`DROP DATABASE IF EXISTS \`${database}\``));

    let started = Date.now();
    await loadSakila(endpoints.mysqlUrl, database);
    const loadMs = Date.now() - started;
    expect(await sakilaCounts(sql, database)).toEqual({
      film: 1000, actor: 200, film_actor: 5462, category: 16, customer: 599, address: 603, rental: 16044, payment: 16049,
    });
    // The view that qualified its tables with `sakila.` now reads the new database.
    const [views] = await sql.query('SELECT VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, 'actor_info']);
    expect((views as Array<{ definition: string }>)[0]?.definition).toContain(`\`${database}\`.\`film_actor\``);
    // The customer trigger of the data file landed in the new database.
    const [triggers] = await sql.query('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME', [database]);
    expect((triggers as Array<{ name: string }>).map((row) => row.name)).toEqual(['customer_create_date', 'del_film', 'ins_film', 'payment_date', 'rental_date', 'upd_film']);

    started = Date.now();
    const films = await expectedFilmDocuments(sql, database);
    const customers = await expectedCustomerDocuments(sql, database);
    const oracleMs = Date.now() - started;
    expect(films.size).toBe(1000);
    expect(customers.size).toBe(599);

    const film = films.get('1');
    expect(Object.keys(film ?? {})).toEqual([
      'film_id', 'title', 'description', 'release_year', 'rental_rate', 'length', 'rating', 'special_features', 'last_update', 'language', 'actors', 'categories',
    ]);
    expect(film).toMatchObject({
      film_id: 1,
      title: 'ACADEMY DINOSAUR',
      description: 'A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher in The Canadian Rockies',
      release_year: 2006,
      rental_rate: '0.99',
      length: 86,
      rating: 'PG',
      special_features: ['Deleted Scenes', 'Behind the Scenes'],
      last_update: '2006-02-15T05:03:42Z',
      language: 'English',
      categories: ['Documentary'],
    });
    const actors = film?.actors as Array<Record<string, unknown>>;
    expect(actors).toHaveLength(10);
    // every film_actor row of the data file has the same last_update: the latest credits first, then by last name
    expect(actors[0]).toEqual({ id: 40, first_name: 'JOHNNY', last_name: 'CAGE', credited: '2006-02-15T05:05:03Z' });
    expect(Object.keys(actors[0] ?? {})).toEqual(['id', 'first_name', 'last_name', 'credited']);
    expect(actors.map((actor) => actor.id)).toEqual([40, 188, 10, 1, 198, 162, 108, 30, 53, 20]);
    for (const document of films.values()) expect(document.last_update).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const customer = customers.get('1');
    expect(Object.keys(customer ?? {})).toEqual(['id', 'first_name', 'last_name', 'email', 'active', 'created', 'full_name', 'address', 'payments', 'large_payments']);
    expect(customer).toMatchObject({
      id: 1,
      first_name: 'MARY',
      last_name: 'SMITH',
      email: 'MARY.SMITH@sakilacustomer.org',
      active: 1,
      created: '2006-02-14T22:04:36',
      full_name: 'MARY SMITH',
      address: { address: '1913 Hanoi Way', district: 'Nagasaki', postal_code: '35200', phone: '28303384290', city: { name: 'Sasebo', country: 'Japan' } },
    });
    const payments = customer?.payments as Array<Record<string, unknown>>;
    expect(payments).toHaveLength(32);
    expect(payments[0]).toEqual({ id: 1, amount: '2.99', paid_at: '2005-05-25T11:30:37' });
    expect([...customers.values()].reduce((sum, document) => sum + (document.payments as unknown[]).length, 0)).toBe(16049);
    expect(customer?.large_payments).toEqual([
      { id: 32, amount: '5.99', paid_at: '2005-08-22T20:03:46' },
      { id: 14, amount: '7.99', paid_at: '2005-07-11T10:13:46' },
      { id: 11, amount: '5.99', paid_at: '2005-07-08T07:33:56' },
    ]);

    started = Date.now();
    let reported = 0;
    const counts = await runSakilaWorkload(sql, database, { mutations: 5_000, seed: 42, onMutation: (index) => {
      reported = index + 1;
    } });
    const workloadMs = Date.now() - started;
    expect(reported).toBe(5_000);
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(5_000);
    for (const kind of SAKILA_MUTATION_KINDS) expect(counts[kind], kind).toBeGreaterThanOrEqual(3);

    started = Date.now();
    const filmsAfter = await expectedFilmDocuments(sql, database);
    const customersAfter = await expectedCustomerDocuments(sql, database);
    const oracleAfterMs = Date.now() - started;
    const [filmCount] = await sql.query(`SELECT COUNT(*) AS n FROM \`${database}\`.film`);
    const [customerCount] = await sql.query(`SELECT COUNT(*) AS n FROM \`${database}\`.customer`);
    expect(filmsAfter.size).toBe(Number((filmCount as Array<{ n: number }>)[0]?.n));
    expect(customersAfter.size).toBe(Number((customerCount as Array<{ n: number }>)[0]?.n));
    expect(filmsAfter.size).toBe(1000 + (counts.film_insert ?? 0) - (counts.film_delete ?? 0));
    expect(customersAfter.size).toBe(599 + (counts.customer_insert ?? 0) - (counts.customer_delete ?? 0));
    for (const document of filmsAfter.values()) {
      expect(document.categories).toBeInstanceOf(Array);
      expect(typeof document.rental_rate).toBe('string');
    }

    // The oracle agrees with itself, ignores _sluice, and reports what a broken sink would get wrong.
    expect(diffDocuments(filmsAfter, copyDocuments(filmsAfter))).toEqual([]);
    const withMeta = copyDocuments(customersAfter);
    for (const document of withMeta.values()) document._sluice = { version: 1 };
    expect(diffDocuments(customersAfter, withMeta)).toEqual([]);

    const broken = copyDocuments(filmsAfter);
    const [firstId, secondId] = [...broken.keys()];
    const firstFilm = broken.get(firstId ?? '') ?? {};
    firstFilm.rental_rate = Number(firstFilm.rental_rate);
    broken.delete(secondId ?? '');
    broken.set('999999', { film_id: 999999 });
    const brokenCustomers = copyDocuments(customersAfter);
    const someCustomer = [...brokenCustomers.values()].find((document) => document.address !== null) as { address: { city: { name: string } } };
    someCustomer.address.city.name = 'Nowhere';
    const filmDiff = diffDocuments(filmsAfter, broken);
    expect(filmDiff).toEqual([
      `${firstId}: rental_rate: expected ${JSON.stringify(filmsAfter.get(firstId ?? '')?.rental_rate)}, actual ${Number(filmsAfter.get(firstId ?? '')?.rental_rate)}`,
      `${secondId}: missing`,
      '999999: unexpected ({"film_id":999999})',
    ]);
    const customerDiff = diffDocuments(customersAfter, brokenCustomers);
    expect(customerDiff).toHaveLength(1);
    expect(customerDiff[0]).toMatch(/^\d+: address\.city\.name: expected ".*", actual "Nowhere"$/);
    expect(diffDocuments(filmsAfter, broken, { limit: 1 })).toEqual([filmDiff[0], '... and 2 more']);

    console.info(
      `sakila oracle: load ${loadMs} ms, oracle ${oracleMs} ms (after the workload ${oracleAfterMs} ms), 5,000 mutations ${workloadMs} ms; ${JSON.stringify(counts)}`,
    );
  }, 180_000);
});
