/**
 * A random, seeded and repeatable mutation workload on a Sakila database, covering every table of
 * the films and customers documents of examples/sakila/pipeline.yml: field updates, foreign-key
 * moves, link-row inserts, deletes and moves, key changes that cascade invisibly (actor_id), inserts
 * and deletes of roots and of related rows. Each mutation is one short transaction that keeps
 * Sakila's foreign keys valid; the same seed on the same starting data gives the same statements
 * (except the values the triggers set: customer.create_date and payment.payment_date are NOW()).
 *
 * The workload must be the only writer of the database while it runs: it keeps the ids of the rows
 * it may touch in memory.
 */
import type { Connection } from 'mysql2/promise';

export interface SakilaWorkloadOptions {
  /** How many mutations (transactions) to run. */
  readonly mutations: number;
  /** The seed of the pseudo-random generator: the same seed gives the same mutations. */
  readonly seed: number;
  /** Called after each committed mutation, with its index (0-based). */
  readonly onMutation?: (index: number) => Promise<void> | void;
  /** Checked before each mutation: the workload ends early once it returns true. */
  readonly until?: () => boolean;
}

/** A small, fast, seeded PRNG (mulberry32). */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }
}

/** A set with O(1) add, remove and uniform random pick, iterated in a repeatable order. */
class Pool<T> {
  private readonly items: T[] = [];
  private readonly positions = new Map<T, number>();

  constructor(items: Iterable<T> = []) {
    for (const item of items) this.add(item);
  }

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.positions.has(item);
  }

  add(item: T): void {
    if (this.positions.has(item)) return;
    this.positions.set(item, this.items.length);
    this.items.push(item);
  }

  remove(item: T): void {
    const position = this.positions.get(item);
    if (position === undefined) return;
    const last = this.items.pop() as T;
    this.positions.delete(item);
    if (position < this.items.length) {
      this.items[position] = last;
      this.positions.set(last, position);
    }
  }

  pick(random: Random): T {
    return random.pick(this.items);
  }
}

/** A link row's key in a Pool: "film_id:other_id". */
function pairKey(filmId: number, otherId: number): string {
  return `${filmId}:${otherId}`;
}

function splitPair(key: string): [number, number] {
  const [film, other] = key.split(':');
  return [Number(film), Number(other)];
}

const WORDS = [
  'ACADEMY', 'ALIEN', 'ANGEL', 'BOUND', 'BRIDE', 'CHAMBER', 'DINOSAUR', 'DRAGON', 'EXPRESS', 'FANTASY', 'GOLDEN', 'HARBOR',
  'HUNTER', 'JUNGLE', 'KNIGHT', 'LADY', 'MIDNIGHT', 'MUMMY', 'NORTH', 'OCTOBER', 'PANTHER', 'QUEEN', 'RIVER', 'SAINT',
  'SUMMER', 'TITANIC', 'VOYAGE', 'WESTWARD', 'WONDER', 'ZORRO', 'CAFÉ', 'ÜBERMUT', 'NAÏVE', 'SÃO PAULO', 'ŁÓDŹ', 'ΑΘΗΝΑ',
  'МОСКВА', '東京', "O'HARA", 'SAY "HI"', 'BACK\\SLASH', 'A&B <C>',
];
const FIRST_NAMES = ['ANNA', 'BORIS', 'CHLOÉ', 'DMITRI', 'ELENA', 'FRANÇOIS', 'GRETA', 'HIRO', 'INÈS', 'JOSÉ', 'KENJI', "D'ARCY", 'LUCÍA', 'MARTA', 'NOÉMIE', 'OTTO'];
const LAST_NAMES = ['ÅSTRÖM', 'BAKER', 'COSTA', 'DUPONT', 'EVANS', 'FISCHER', 'GARCÍA', 'HÄMÄLÄINEN', "O'NEIL", 'MÜLLER', 'NGUYEN', 'SMITH-JONES', 'TANAKA', 'ÖZTÜRK'];
const DISTRICTS = ['Alberta', 'QLD', 'Nagasaki', 'California', 'Attika', 'Île-de-France', 'Zürich', 'Texas', ''];
const RATINGS = ['G', 'PG', 'PG-13', 'R', 'NC-17'];
const SPECIAL_FEATURES = ['Trailers', 'Commentaries', 'Deleted Scenes', 'Behind the Scenes'];
const RENTAL_RATES = ['0.99', '2.99', '4.99', '0.00', '1.50', '9.99', '99.99'];

type Kind = (typeof SAKILA_MUTATION_KINDS)[number];

/** Every mutation kind, as counted in the result of runSakilaWorkload. */
export const SAKILA_MUTATION_KINDS = [
  'film_title', 'film_description', 'film_rental_rate', 'film_length', 'film_rating', 'film_special_features', 'film_release_year',
  'film_language', 'film_insert', 'film_delete',
  'film_actor_insert', 'film_actor_delete',
  'film_category_insert', 'film_category_delete', 'film_category_move',
  'actor_name', 'actor_id_change', 'actor_insert', 'actor_delete',
  'category_name',
  'language_name', 'language_insert',
  'customer_name', 'customer_email', 'customer_active', 'customer_address', 'customer_insert', 'customer_delete',
  'address_fields', 'address_city',
  'city_name', 'city_country',
  'country_name',
  'payment_insert', 'payment_amount', 'payment_date', 'payment_customer', 'payment_delete',
] as const;

/** Relative weights: cheap updates most, inserts and deletes less, but every kind often enough. */
const WEIGHTS: Record<Kind, number> = {
  film_title: 4, film_description: 4, film_rental_rate: 3, film_length: 3, film_rating: 3, film_special_features: 3, film_release_year: 3,
  film_language: 2, film_insert: 1.5, film_delete: 1,
  film_actor_insert: 3, film_actor_delete: 3,
  film_category_insert: 2, film_category_delete: 1.5, film_category_move: 2,
  actor_name: 4, actor_id_change: 1.5, actor_insert: 1.5, actor_delete: 1.5,
  category_name: 2,
  language_name: 1.5, language_insert: 1,
  customer_name: 3, customer_email: 3, customer_active: 2, customer_address: 2, customer_insert: 1.5, customer_delete: 1,
  address_fields: 3, address_city: 2,
  city_name: 2, city_country: 2,
  country_name: 2,
  payment_insert: 3, payment_amount: 3, payment_date: 3, payment_customer: 2, payment_delete: 2,
};

type Row = Record<string, unknown>;

/**
 * Runs `mutations` random mutations (fewer when `until` ends it early) on the Sakila database
 * `database` through `connection` (which must not be inside a transaction) and returns how many
 * of each kind ran (every kind is present, 0 when it did not occur).
 */
export async function runSakilaWorkload(connection: Connection, database: string, options: SakilaWorkloadOptions): Promise<Record<string, number>> {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) throw new Error(`invalid database name "${database}"`);
  const db = `\`${database}\``;
  const random = new Random(options.seed);
  let serial = 0;

  const query = async (sql: string, values: unknown[] = []): Promise<Row[]> => {
    const [rows] = await connection.query(sql, values);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  };
  const ids = async (sql: string, values: unknown[] = []): Promise<number[]> => (await query(sql, values)).map((row) => Number(Object.values(row)[0]));
  const transaction = async (work: () => Promise<void>): Promise<void> => {
    await connection.beginTransaction();
    try {
      await work();
      await connection.commit();
    } catch (error) {
      await connection.rollback();
      throw error;
    }
  };

  // What the workload may touch, loaded once (in primary-key order, so the same data gives the same picks).
  const films = new Pool(await ids(`SELECT film_id FROM ${db}.film ORDER BY film_id`));
  const actors = new Pool(await ids(`SELECT actor_id FROM ${db}.actor ORDER BY actor_id`));
  const categories = new Pool(await ids(`SELECT category_id FROM ${db}.category ORDER BY category_id`));
  const languages = new Pool(await ids(`SELECT language_id FROM ${db}.language ORDER BY language_id`));
  const customers = new Pool(await ids(`SELECT customer_id FROM ${db}.customer ORDER BY customer_id`));
  const addresses = new Pool(await ids(`SELECT address_id FROM ${db}.address ORDER BY address_id`));
  const cities = new Pool(await ids(`SELECT city_id FROM ${db}.city ORDER BY city_id`));
  const countries = new Pool(await ids(`SELECT country_id FROM ${db}.country ORDER BY country_id`));
  const payments = new Pool(await ids(`SELECT payment_id FROM ${db}.payment ORDER BY payment_id`));
  const staff = await ids(`SELECT staff_id FROM ${db}.staff ORDER BY staff_id`);
  const stores = await ids(`SELECT store_id FROM ${db}.store ORDER BY store_id`);
  const filmActors = new Pool((await query(`SELECT film_id, actor_id FROM ${db}.film_actor ORDER BY film_id, actor_id`)).map((row) => pairKey(Number(row.film_id), Number(row.actor_id))));
  const filmCategories = new Pool(
    (await query(`SELECT film_id, category_id FROM ${db}.film_category ORDER BY film_id, category_id`)).map((row) => pairKey(Number(row.film_id), Number(row.category_id))),
  );
  const nextId = async (table: string, column: string): Promise<number> => ((await ids(`SELECT COALESCE(MAX(${column}), 0) FROM ${db}.${table}`))[0] ?? 0) + 1;
  const next = {
    film: await nextId('film', 'film_id'),
    actor: await nextId('actor', 'actor_id'),
    language: await nextId('language', 'language_id'),
    customer: await nextId('customer', 'customer_id'),
    payment: await nextId('payment', 'payment_id'),
  };
  if (staff.length === 0 || stores.length === 0) throw new Error(`${database} has no staff or store: load Sakila first`);

  /** A value that differs from every earlier one: `base` clipped so that " <serial>" fits in `max` characters. */
  const label = (base: string, max: number): string => {
    serial += 1;
    const suffix = ` ${serial.toString(36).toUpperCase()}`;
    return `${[...base].slice(0, max - suffix.length).join('').trimEnd()}${suffix}`;
  };
  const words = (count: number): string => Array.from({ length: count }, () => random.pick(WORDS)).join(' ');
  const firstName = (): string => label(random.pick(FIRST_NAMES), 45);
  const lastName = (): string => label(random.pick(LAST_NAMES), 45);
  const email = (first: string, last: string): string | null =>
    random.chance(0.1) ? null : `${first}.${last}@example.org`.replace(/[^A-Za-z0-9.@-]/g, '').slice(-50);
  const digits = (count: number): string => Array.from({ length: count }, () => String(random.int(0, 9))).join('');
  const datetime = (): string => {
    const pad = (value: number): string => String(value).padStart(2, '0');
    return `${random.int(2005, 2030)}-${pad(random.int(1, 12))}-${pad(random.int(1, 28))} ${pad(random.int(0, 23))}:${pad(random.int(0, 59))}:${pad(random.int(0, 59))}`;
  };
  const amount = (): string => (random.chance(0.05) ? '0.00' : (random.int(1, 99_999) / 100).toFixed(2));
  const description = (): string | null => (random.chance(0.1) ? null : `A ${words(3).toLowerCase()} story #${++serial}`);
  const specialFeatures = (): string | null => {
    if (random.chance(0.1)) return null;
    // Any order: MariaDB stores a SET in its definition order; '' is the empty set.
    const chosen = SPECIAL_FEATURES.filter(() => random.chance(0.5));
    for (let index = chosen.length - 1; index > 0; index -= 1) {
      const other = random.int(0, index);
      [chosen[index], chosen[other]] = [chosen[other], chosen[index]];
    }
    return chosen.join(',');
  };
  const filmValues = (): { title: string; description: string | null; release_year: number | null; rental_rate: string; length: number | null; rating: string | null; special_features: string | null } => ({
    title: label(words(2), 255),
    description: description(),
    release_year: random.chance(0.1) ? null : random.int(1950, 2030),
    rental_rate: random.pick(RENTAL_RATES),
    length: random.chance(0.1) ? null : random.int(1, 300),
    rating: random.chance(0.1) ? null : random.pick(RATINGS),
    special_features: specialFeatures(),
  });
  /** A film (or other id) for which `accept` holds, after a few tries; undefined when none was found. */
  const find = <T>(pool: Pool<T>, accept: (item: T) => boolean): T | undefined => {
    for (let attempt = 0; attempt < 20 && pool.size > 0; attempt += 1) {
      const item = pool.pick(random);
      if (accept(item)) return item;
    }
    return undefined;
  };
  const insertPayment = async (customerId: number): Promise<number> => {
    const paymentId = next.payment++;
    // The payment_date trigger sets payment_date to NOW() whatever is given.
    await query(`INSERT INTO ${db}.payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (?, ?, ?, NULL, ?, ?)`, [
      paymentId, customerId, random.pick(staff), amount(), datetime(),
    ]);
    return paymentId;
  };

  /** Each mutation: false when it found nothing to act on (another kind is drawn then). */
  const mutations: Record<Kind, () => Promise<boolean>> = {
    film_title: async () => {
      await query(`UPDATE ${db}.film SET title = ? WHERE film_id = ?`, [label(words(2), 255), films.pick(random)]);
      return true;
    },
    film_description: async () => {
      await query(`UPDATE ${db}.film SET description = ? WHERE film_id = ?`, [description(), films.pick(random)]);
      return true;
    },
    film_rental_rate: async () => {
      await query(`UPDATE ${db}.film SET rental_rate = ? WHERE film_id = ?`, [random.pick(RENTAL_RATES), films.pick(random)]);
      return true;
    },
    film_length: async () => {
      await query(`UPDATE ${db}.film SET length = ? WHERE film_id = ?`, [random.chance(0.1) ? null : random.int(1, 300), films.pick(random)]);
      return true;
    },
    film_rating: async () => {
      await query(`UPDATE ${db}.film SET rating = ? WHERE film_id = ?`, [random.chance(0.1) ? null : random.pick(RATINGS), films.pick(random)]);
      return true;
    },
    film_special_features: async () => {
      await query(`UPDATE ${db}.film SET special_features = ? WHERE film_id = ?`, [specialFeatures(), films.pick(random)]);
      return true;
    },
    film_release_year: async () => {
      await query(`UPDATE ${db}.film SET release_year = ? WHERE film_id = ?`, [random.chance(0.1) ? null : random.int(1950, 2030), films.pick(random)]);
      return true;
    },
    film_language: async () => {
      await query(`UPDATE ${db}.film SET language_id = ? WHERE film_id = ?`, [languages.pick(random), films.pick(random)]);
      return true;
    },
    film_insert: async () => {
      if (actors.size < 2 || categories.size === 0) return false;
      const filmId = next.film++;
      const values = filmValues();
      const first = actors.pick(random);
      const second = find(actors, (actor) => actor !== first);
      const category = categories.pick(random);
      const cast = second === undefined ? [first] : [first, second];
      await transaction(async () => {
        await query(
          `INSERT INTO ${db}.film (film_id, title, description, release_year, language_id, rental_rate, length, rating, special_features)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [filmId, values.title, values.description, values.release_year, languages.pick(random), values.rental_rate, values.length, values.rating, values.special_features],
        );
        for (const actor of cast) await query(`INSERT INTO ${db}.film_actor (actor_id, film_id) VALUES (?, ?)`, [actor, filmId]);
        await query(`INSERT INTO ${db}.film_category (film_id, category_id) VALUES (?, ?)`, [filmId, category]);
      });
      films.add(filmId);
      for (const actor of cast) filmActors.add(pairKey(filmId, actor));
      filmCategories.add(pairKey(filmId, category));
      return true;
    },
    film_delete: async () => {
      if (films.size <= 1) return false;
      const filmId = films.pick(random);
      let removedPayments: number[] = [];
      let castIds: number[] = [];
      let categoryIds: number[] = [];
      await transaction(async () => {
        // inventory -> rentals -> payments of those rentals, then the link rows, then the film.
        const rentals = `SELECT r.rental_id FROM ${db}.rental r JOIN ${db}.inventory i ON i.inventory_id = r.inventory_id WHERE i.film_id = ?`;
        removedPayments = await ids(`SELECT payment_id FROM ${db}.payment WHERE rental_id IN (${rentals}) ORDER BY payment_id`, [filmId]);
        if (removedPayments.length > 0) await query(`DELETE FROM ${db}.payment WHERE payment_id IN (?)`, [removedPayments]);
        await query(`DELETE FROM ${db}.rental WHERE inventory_id IN (SELECT inventory_id FROM ${db}.inventory WHERE film_id = ?)`, [filmId]);
        await query(`DELETE FROM ${db}.inventory WHERE film_id = ?`, [filmId]);
        castIds = await ids(`SELECT actor_id FROM ${db}.film_actor WHERE film_id = ? ORDER BY actor_id`, [filmId]);
        categoryIds = await ids(`SELECT category_id FROM ${db}.film_category WHERE film_id = ? ORDER BY category_id`, [filmId]);
        await query(`DELETE FROM ${db}.film_actor WHERE film_id = ?`, [filmId]);
        await query(`DELETE FROM ${db}.film_category WHERE film_id = ?`, [filmId]);
        await query(`DELETE FROM ${db}.film WHERE film_id = ?`, [filmId]);
      });
      films.remove(filmId);
      for (const payment of removedPayments) payments.remove(payment);
      for (const actor of castIds) filmActors.remove(pairKey(filmId, actor));
      for (const category of categoryIds) filmCategories.remove(pairKey(filmId, category));
      return true;
    },
    film_actor_insert: async () => {
      const filmId = films.pick(random);
      const actor = find(actors, (candidate) => !filmActors.has(pairKey(filmId, candidate)));
      if (actor === undefined) return false;
      await query(`INSERT INTO ${db}.film_actor (actor_id, film_id) VALUES (?, ?)`, [actor, filmId]);
      filmActors.add(pairKey(filmId, actor));
      return true;
    },
    film_actor_delete: async () => {
      if (filmActors.size === 0) return false;
      const key = filmActors.pick(random);
      const [filmId, actor] = splitPair(key);
      await query(`DELETE FROM ${db}.film_actor WHERE film_id = ? AND actor_id = ?`, [filmId, actor]);
      filmActors.remove(key);
      return true;
    },
    film_category_insert: async () => {
      const filmId = films.pick(random);
      const category = find(categories, (candidate) => !filmCategories.has(pairKey(filmId, candidate)));
      if (category === undefined) return false;
      await query(`INSERT INTO ${db}.film_category (film_id, category_id) VALUES (?, ?)`, [filmId, category]);
      filmCategories.add(pairKey(filmId, category));
      return true;
    },
    film_category_delete: async () => {
      if (filmCategories.size === 0) return false;
      const key = filmCategories.pick(random);
      const [filmId, category] = splitPair(key);
      await query(`DELETE FROM ${db}.film_category WHERE film_id = ? AND category_id = ?`, [filmId, category]);
      filmCategories.remove(key);
      return true;
    },
    film_category_move: async () => {
      if (filmCategories.size === 0) return false;
      const key = filmCategories.pick(random);
      const [filmId, category] = splitPair(key);
      const target = find(categories, (candidate) => !filmCategories.has(pairKey(filmId, candidate)));
      if (target === undefined) return false;
      await query(`UPDATE ${db}.film_category SET category_id = ? WHERE film_id = ? AND category_id = ?`, [target, filmId, category]);
      filmCategories.remove(key);
      filmCategories.add(pairKey(filmId, target));
      return true;
    },
    actor_name: async () => {
      const actor = actors.pick(random);
      const which = random.int(0, 2);
      if (which === 0) await query(`UPDATE ${db}.actor SET first_name = ? WHERE actor_id = ?`, [firstName(), actor]);
      else if (which === 1) await query(`UPDATE ${db}.actor SET last_name = ? WHERE actor_id = ?`, [lastName(), actor]);
      else await query(`UPDATE ${db}.actor SET first_name = ?, last_name = ? WHERE actor_id = ?`, [firstName(), lastName(), actor]);
      return true;
    },
    actor_id_change: async () => {
      const actor = actors.pick(random);
      const newId = next.actor++;
      let linked: number[] = [];
      await transaction(async () => {
        linked = await ids(`SELECT film_id FROM ${db}.film_actor WHERE actor_id = ? ORDER BY film_id`, [actor]);
        // ON UPDATE CASCADE rewrites film_actor.actor_id inside InnoDB: the binlog shows only the actor row.
        await query(`UPDATE ${db}.actor SET actor_id = ? WHERE actor_id = ?`, [newId, actor]);
      });
      actors.remove(actor);
      actors.add(newId);
      for (const filmId of linked) {
        filmActors.remove(pairKey(filmId, actor));
        filmActors.add(pairKey(filmId, newId));
      }
      return true;
    },
    actor_insert: async () => {
      const actor = next.actor++;
      const filmId = random.chance(0.5) ? films.pick(random) : undefined;
      await transaction(async () => {
        await query(`INSERT INTO ${db}.actor (actor_id, first_name, last_name) VALUES (?, ?, ?)`, [actor, firstName(), lastName()]);
        if (filmId !== undefined) await query(`INSERT INTO ${db}.film_actor (actor_id, film_id) VALUES (?, ?)`, [actor, filmId]);
      });
      actors.add(actor);
      if (filmId !== undefined) filmActors.add(pairKey(filmId, actor));
      return true;
    },
    actor_delete: async () => {
      if (actors.size <= 2) return false;
      const actor = actors.pick(random);
      let linked: number[] = [];
      await transaction(async () => {
        linked = await ids(`SELECT film_id FROM ${db}.film_actor WHERE actor_id = ? ORDER BY film_id`, [actor]);
        await query(`DELETE FROM ${db}.film_actor WHERE actor_id = ?`, [actor]);
        await query(`DELETE FROM ${db}.actor WHERE actor_id = ?`, [actor]);
      });
      actors.remove(actor);
      for (const filmId of linked) filmActors.remove(pairKey(filmId, actor));
      return true;
    },
    category_name: async () => {
      await query(`UPDATE ${db}.category SET name = ? WHERE category_id = ?`, [label(random.pick(WORDS), 25), categories.pick(random)]);
      return true;
    },
    language_name: async () => {
      await query(`UPDATE ${db}.language SET name = ? WHERE language_id = ?`, [label(random.pick(WORDS), 20), languages.pick(random)]);
      return true;
    },
    language_insert: async () => {
      const language = next.language++;
      await query(`INSERT INTO ${db}.language (language_id, name) VALUES (?, ?)`, [language, label(random.pick(WORDS), 20)]);
      languages.add(language);
      return true;
    },
    customer_name: async () => {
      const customer = customers.pick(random);
      if (random.chance(0.5)) await query(`UPDATE ${db}.customer SET first_name = ? WHERE customer_id = ?`, [firstName(), customer]);
      else await query(`UPDATE ${db}.customer SET first_name = ?, last_name = ? WHERE customer_id = ?`, [firstName(), lastName(), customer]);
      return true;
    },
    customer_email: async () => {
      await query(`UPDATE ${db}.customer SET email = ? WHERE customer_id = ?`, [email(firstName(), lastName()), customers.pick(random)]);
      return true;
    },
    customer_active: async () => {
      await query(`UPDATE ${db}.customer SET active = 1 - active WHERE customer_id = ?`, [customers.pick(random)]);
      return true;
    },
    customer_address: async () => {
      await query(`UPDATE ${db}.customer SET address_id = ? WHERE customer_id = ?`, [addresses.pick(random), customers.pick(random)]);
      return true;
    },
    customer_insert: async () => {
      const customer = next.customer++;
      const first = firstName();
      const last = lastName();
      const paymentCount = random.int(0, 2);
      const added: number[] = [];
      await transaction(async () => {
        // The customer_create_date trigger sets create_date to NOW() whatever is given.
        await query(
          `INSERT INTO ${db}.customer (customer_id, store_id, first_name, last_name, email, address_id, active, create_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [customer, random.pick(stores), first, last, email(first, last), addresses.pick(random), random.chance(0.8) ? 1 : 0, datetime()],
        );
        for (let index = 0; index < paymentCount; index += 1) added.push(await insertPayment(customer));
      });
      customers.add(customer);
      for (const payment of added) payments.add(payment);
      return true;
    },
    customer_delete: async () => {
      if (customers.size <= 1) return false;
      const customer = customers.pick(random);
      let removed: number[] = [];
      await transaction(async () => {
        removed = await ids(`SELECT payment_id FROM ${db}.payment WHERE customer_id = ? ORDER BY payment_id`, [customer]);
        await query(`DELETE FROM ${db}.payment WHERE customer_id = ?`, [customer]);
        // Payments of other customers that point at these rentals get rental_id NULL (ON DELETE SET NULL).
        await query(`DELETE FROM ${db}.rental WHERE customer_id = ?`, [customer]);
        await query(`DELETE FROM ${db}.customer WHERE customer_id = ?`, [customer]);
      });
      customers.remove(customer);
      for (const payment of removed) payments.remove(payment);
      return true;
    },
    address_fields: async () => {
      const address = addresses.pick(random);
      switch (random.int(0, 4)) {
        case 0:
          await query(`UPDATE ${db}.address SET address = ? WHERE address_id = ?`, [label(`${random.int(1, 1999)} ${random.pick(WORDS)} Street`, 50), address]);
          break;
        case 1:
          await query(`UPDATE ${db}.address SET district = ? WHERE address_id = ?`, [label(random.pick(DISTRICTS), 20), address]);
          break;
        case 2:
          await query(`UPDATE ${db}.address SET postal_code = ? WHERE address_id = ?`, [random.chance(0.15) ? null : digits(5), address]);
          break;
        case 3:
          await query(`UPDATE ${db}.address SET phone = ? WHERE address_id = ?`, [digits(random.int(8, 12)), address]);
          break;
        default:
          await query(`UPDATE ${db}.address SET address = ?, district = ?, postal_code = ?, phone = ? WHERE address_id = ?`, [
            label(`${random.int(1, 1999)} ${random.pick(WORDS)} Way`, 50), label(random.pick(DISTRICTS), 20), digits(5), digits(10), address,
          ]);
      }
      return true;
    },
    address_city: async () => {
      await query(`UPDATE ${db}.address SET city_id = ? WHERE address_id = ?`, [cities.pick(random), addresses.pick(random)]);
      return true;
    },
    city_name: async () => {
      await query(`UPDATE ${db}.city SET city = ? WHERE city_id = ?`, [label(words(2), 50), cities.pick(random)]);
      return true;
    },
    city_country: async () => {
      await query(`UPDATE ${db}.city SET country_id = ? WHERE city_id = ?`, [countries.pick(random), cities.pick(random)]);
      return true;
    },
    country_name: async () => {
      await query(`UPDATE ${db}.country SET country = ? WHERE country_id = ?`, [label(random.pick(WORDS), 50), countries.pick(random)]);
      return true;
    },
    payment_insert: async () => {
      const payment = await insertPayment(customers.pick(random));
      payments.add(payment);
      return true;
    },
    payment_amount: async () => {
      if (payments.size === 0) return false;
      await query(`UPDATE ${db}.payment SET amount = ? WHERE payment_id = ?`, [amount(), payments.pick(random)]);
      return true;
    },
    payment_date: async () => {
      if (payments.size === 0) return false;
      await query(`UPDATE ${db}.payment SET payment_date = ? WHERE payment_id = ?`, [datetime(), payments.pick(random)]);
      return true;
    },
    payment_customer: async () => {
      if (payments.size === 0) return false;
      await query(`UPDATE ${db}.payment SET customer_id = ? WHERE payment_id = ?`, [customers.pick(random), payments.pick(random)]);
      return true;
    },
    payment_delete: async () => {
      if (payments.size === 0) return false;
      const payment = payments.pick(random);
      await query(`DELETE FROM ${db}.payment WHERE payment_id = ?`, [payment]);
      payments.remove(payment);
      return true;
    },
  };

  const kinds = SAKILA_MUTATION_KINDS;
  const totalWeight = kinds.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  const drawKind = (): Kind => {
    let ticket = random.next() * totalWeight;
    for (const kind of kinds) {
      ticket -= WEIGHTS[kind];
      if (ticket < 0) return kind;
    }
    return kinds[kinds.length - 1];
  };

  const counts: Record<string, number> = Object.fromEntries(kinds.map((kind) => [kind, 0]));
  for (let index = 0; index < options.mutations && options.until?.() !== true; index += 1) {
    let done = false;
    for (let attempt = 0; !done; attempt += 1) {
      if (attempt === 100) throw new Error(`the Sakila workload found nothing to mutate in ${database} (mutation ${index})`);
      const kind = drawKind();
      try {
        done = await mutations[kind]();
      } catch (error) {
        throw new Error(`Sakila workload mutation ${index} (${kind}) failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (done) counts[kind] = (counts[kind] ?? 0) + 1;
    }
    await options.onMutation?.(index);
  }
  return counts;
}
