/**
 * An independent "truth" for the Sakila documents of examples/sakila/pipeline.yml: the expected
 * Elasticsearch `_source` of every film and customer document, built with hand-written SQL and no
 * sluice code, to compare with what the sink wrote.
 *
 * Value formats: integers are JSON numbers; DECIMAL is the string MariaDB prints ("0.99"); YEAR is a
 * number; ENUM is MariaDB's string; SET is the list of its members (["Deleted Scenes", "Behind the Scenes"]); DATE is
 * "YYYY-MM-DD"; DATETIME is "YYYY-MM-DDTHH:MM:SS" (".ffffff" added when the column has fractional
 * digits); TIMESTAMP is "YYYY-MM-DDTHH:MM:SSZ" in UTC; NULL is null. Every value is read as text
 * (CAST ... AS CHAR, DATE_FORMAT) so the result does not depend on the connection's type casting.
 */
import type { Connection } from 'mysql2/promise';
import { BATCH_FIELD, LAST_UPDATED_FIELD } from '../../src/sinks/orchestrator/channel.js';

export type SakilaDocument = Record<string, unknown>;

type Row = Record<string, string | null>;

function checkDatabaseName(database: string): string {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) throw new Error(`invalid database name "${database}"`);
  return database;
}

async function select(connection: Connection, sql: string, values: unknown[] = []): Promise<Row[]> {
  const [rows] = await connection.query(sql, values);
  return rows as Row[];
}

/** An integer column read as text, as a JSON number (null stays null). */
function integer(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`the oracle cannot hold the integer ${value} in a JSON number`);
  return number;
}

function text(value: string | null | undefined): string | null {
  return value ?? null;
}

/** Runs `work` with the session time zone at UTC (TIMESTAMP columns read in UTC), then restores it. */
async function inUtc<T>(connection: Connection, work: () => Promise<T>): Promise<T> {
  const [zone] = await select(connection, 'SELECT @@session.time_zone AS zone');
  await connection.query("SET time_zone = '+00:00'");
  try {
    return await work();
  } finally {
    await connection.query('SET time_zone = ?', [zone?.zone ?? 'SYSTEM']);
  }
}

/**
 * A SQL expression that formats a DATE, DATETIME or TIMESTAMP column as the documents hold it, from
 * the column's type and fractional digits in information_schema.
 */
async function temporalFormats(connection: Connection, database: string, columns: ReadonlyArray<[table: string, column: string]>): Promise<Map<string, (expression: string) => string>> {
  const rows = await select(
    connection,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS type, CAST(DATETIME_PRECISION AS CHAR) AS digits
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`,
    [database],
  );
  const formats = new Map<string, (expression: string) => string>();
  for (const [table, column] of columns) {
    const info = rows.find((row) => row.t === table && row.c === column);
    if (info === undefined) throw new Error(`${database}.${table}.${column} does not exist`);
    const fraction = Number(info.digits ?? 0) > 0 ? '.%f' : '';
    const type = (info.type ?? '').toLowerCase();
    const pattern =
      type === 'date' ? '%Y-%m-%d' : type === 'datetime' ? `%Y-%m-%dT%H:%i:%s${fraction}` : type === 'timestamp' ? `%Y-%m-%dT%H:%i:%s${fraction}Z` : undefined;
    if (pattern === undefined) throw new Error(`${database}.${table}.${column} is a ${type}, not a date or time`);
    formats.set(`${table}.${column}`, (expression) => `DATE_FORMAT(${expression}, '${pattern}')`);
  }
  return formats;
}

function formatOf(formats: Map<string, (expression: string) => string>, key: string, expression: string): string {
  const format = formats.get(key);
  if (format === undefined) throw new Error(`no format for ${key}`);
  return format(expression);
}

/**
 * The expected `films` documents of `database`, by `_id` (String(film_id)): the film's fields, its
 * language's name, its actors ({id, first_name, last_name, credited: the film_actor row's
 * last_update}, the latest credits first, then by last name and actor_id) and its category names
 * (by category_id).
 */
export async function expectedFilmDocuments(connection: Connection, database: string): Promise<Map<string, SakilaDocument>> {
  const db = `\`${checkDatabaseName(database)}\``;
  return inUtc(connection, async () => {
    const formats = await temporalFormats(connection, database, [
      ['film', 'last_update'],
      ['film_actor', 'last_update'],
    ]);
    const films = await select(
      connection,
      `SELECT CAST(f.film_id AS CHAR) AS film_id, CAST(f.title AS CHAR) AS title, CAST(f.description AS CHAR) AS description,
              CAST(f.release_year AS CHAR) AS release_year, CAST(f.rental_rate AS CHAR) AS rental_rate, CAST(f.length AS CHAR) AS length,
              CAST(f.rating AS CHAR) AS rating, CAST(f.special_features AS CHAR) AS special_features,
              ${formatOf(formats, 'film.last_update', 'f.last_update')} AS last_update,
              CAST(l.name AS CHAR) AS language
         FROM ${db}.film f LEFT JOIN ${db}.language l ON l.language_id = f.language_id
        ORDER BY f.film_id`,
    );
    const documents = new Map<string, SakilaDocument>();
    const actors = new Map<string, unknown[]>();
    const categories = new Map<string, unknown[]>();
    for (const film of films) {
      const id = String(integer(film.film_id));
      const filmActors: unknown[] = [];
      const filmCategories: unknown[] = [];
      actors.set(id, filmActors);
      categories.set(id, filmCategories);
      documents.set(id, {
        film_id: integer(film.film_id),
        title: text(film.title),
        description: text(film.description),
        release_year: integer(film.release_year),
        rental_rate: text(film.rental_rate),
        length: integer(film.length),
        rating: text(film.rating),
        special_features: film.special_features === null ? null : film.special_features === '' ? [] : film.special_features.split(','),
        last_update: text(film.last_update),
        language: text(film.language),
        actors: filmActors,
        categories: filmCategories,
      });
    }
    const actorRows = await select(
      connection,
      `SELECT CAST(fa.film_id AS CHAR) AS film_id, CAST(a.actor_id AS CHAR) AS actor_id,
              CAST(a.first_name AS CHAR) AS first_name, CAST(a.last_name AS CHAR) AS last_name,
              ${formatOf(formats, 'film_actor.last_update', 'fa.last_update')} AS credited
         FROM ${db}.film_actor fa JOIN ${db}.actor a ON a.actor_id = fa.actor_id
        ORDER BY fa.film_id, fa.last_update DESC, a.last_name, a.actor_id`,
    );
    for (const row of actorRows) {
      actors.get(String(integer(row.film_id)))?.push({ id: integer(row.actor_id), first_name: text(row.first_name), last_name: text(row.last_name), credited: text(row.credited) });
    }
    const categoryRows = await select(
      connection,
      `SELECT CAST(fc.film_id AS CHAR) AS film_id, CAST(c.name AS CHAR) AS name
         FROM ${db}.film_category fc JOIN ${db}.category c ON c.category_id = fc.category_id
        ORDER BY fc.film_id, c.category_id`,
    );
    for (const row of categoryRows) categories.get(String(integer(row.film_id)))?.push(text(row.name));
    return documents;
  });
}

/**
 * The expected `customers` documents of `database`, by `_id` (String(customer_id)): the customer's
 * fields, its full name (first and last name joined by a space), its address with city and
 * country name (null when the row is missing), its payments (by payment_id) and its large payments
 * (amount >= 5, the latest 3 by payment_date, then by payment_id).
 */
export async function expectedCustomerDocuments(connection: Connection, database: string): Promise<Map<string, SakilaDocument>> {
  const db = `\`${checkDatabaseName(database)}\``;
  return inUtc(connection, async () => {
    const formats = await temporalFormats(connection, database, [
      ['customer', 'create_date'],
      ['payment', 'payment_date'],
    ]);
    const customers = await select(
      connection,
      `SELECT CAST(cu.customer_id AS CHAR) AS customer_id, CAST(cu.first_name AS CHAR) AS first_name, CAST(cu.last_name AS CHAR) AS last_name,
              CAST(cu.email AS CHAR) AS email, CAST(cu.active AS CHAR) AS active,
              ${formatOf(formats, 'customer.create_date', 'cu.create_date')} AS created,
              CAST(a.address_id AS CHAR) AS address_id, CAST(a.address AS CHAR) AS address, CAST(a.district AS CHAR) AS district,
              CAST(a.postal_code AS CHAR) AS postal_code, CAST(a.phone AS CHAR) AS phone,
              CAST(ci.city_id AS CHAR) AS city_id, CAST(ci.city AS CHAR) AS city,
              CAST(co.country_id AS CHAR) AS country_id, CAST(co.country AS CHAR) AS country
         FROM ${db}.customer cu
         LEFT JOIN ${db}.address a ON a.address_id = cu.address_id
         LEFT JOIN ${db}.city ci ON ci.city_id = a.city_id
         LEFT JOIN ${db}.country co ON co.country_id = ci.country_id
        ORDER BY cu.customer_id`,
    );
    const documents = new Map<string, SakilaDocument>();
    const payments = new Map<string, unknown[]>();
    const largePayments = new Map<string, unknown[]>();
    for (const customer of customers) {
      const id = String(integer(customer.customer_id));
      const customerPayments: unknown[] = [];
      const customerLargePayments: unknown[] = [];
      payments.set(id, customerPayments);
      largePayments.set(id, customerLargePayments);
      const city =
        customer.city_id === null
          ? null
          : { name: text(customer.city), country: customer.country_id === null ? null : text(customer.country) };
      const address =
        customer.address_id === null
          ? null
          : { address: text(customer.address), district: text(customer.district), postal_code: text(customer.postal_code), phone: text(customer.phone), city };
      documents.set(id, {
        id: integer(customer.customer_id),
        first_name: text(customer.first_name),
        last_name: text(customer.last_name),
        email: text(customer.email),
        active: integer(customer.active),
        created: text(customer.created),
        full_name: customer.first_name === null || customer.last_name === null ? null : `${customer.first_name} ${customer.last_name}`,
        address,
        payments: customerPayments,
        large_payments: customerLargePayments,
      });
    }
    const paymentRows = await select(
      connection,
      `SELECT CAST(p.customer_id AS CHAR) AS customer_id, CAST(p.payment_id AS CHAR) AS payment_id, CAST(p.amount AS CHAR) AS amount,
              ${formatOf(formats, 'payment.payment_date', 'p.payment_date')} AS paid_at
         FROM ${db}.payment p
        ORDER BY p.customer_id, p.payment_id`,
    );
    for (const row of paymentRows) {
      payments.get(String(integer(row.customer_id)))?.push({ id: integer(row.payment_id), amount: text(row.amount), paid_at: text(row.paid_at) });
    }
    const largePaymentRows = await select(
      connection,
      `SELECT CAST(p.customer_id AS CHAR) AS customer_id, CAST(p.payment_id AS CHAR) AS payment_id, CAST(p.amount AS CHAR) AS amount,
              ${formatOf(formats, 'payment.payment_date', 'p.payment_date')} AS paid_at
         FROM ${db}.payment p
        WHERE p.amount >= 5.00
        ORDER BY p.customer_id, p.payment_date DESC, p.payment_id`,
    );
    for (const row of largePaymentRows) {
      const list = largePayments.get(String(integer(row.customer_id)));
      if (list !== undefined && list.length < 3) list.push({ id: integer(row.payment_id), amount: text(row.amount), paid_at: text(row.paid_at) });
    }
    return documents;
  });
}

export interface DiffOptions {
  /** Also report objects whose keys are equal but in another order (default false: values only). */
  readonly keyOrder?: boolean;
  /** At most this many lines, then one "... and N more" line (default: all). */
  readonly limit?: number;
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first path where `expected` and `actual` differ, with both values, or undefined when they are equal. */
function firstDifference(expected: unknown, actual: unknown, path: string, keyOrder: boolean): string | undefined {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let index = 0; index < Math.max(expected.length, actual.length); index += 1) {
      const difference = firstDifference(expected[index], actual[index], `${path}[${index}]`, keyOrder);
      if (difference !== undefined) {
        return expected.length === actual.length ? difference : `${difference} (length expected ${expected.length}, actual ${actual.length})`;
      }
    }
    return undefined;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...Object.keys(expected), ...Object.keys(actual).filter((key) => !Object.hasOwn(expected, key))];
    for (const key of keys) {
      const difference = firstDifference(expected[key], actual[key], path === '' ? key : `${path}.${key}`, keyOrder);
      if (difference !== undefined) return difference;
    }
    if (keyOrder && Object.keys(expected).join('\u0000') !== Object.keys(actual).join('\u0000')) {
      return `${path === '' ? '(root)' : path}: key order expected ${show(Object.keys(expected))}, actual ${show(Object.keys(actual))}`;
    }
    return undefined;
  }
  if (Object.is(expected, actual)) return undefined;
  return `${path === '' ? '(root)' : path}: expected ${show(expected)}, actual ${show(actual)}`;
}

/**
 * The differences between the expected and the actual documents, one readable line each: ids
 * missing from `actual`, ids `actual` should not have, and for every other id the first path whose
 * values differ (strictly: "0.99" is not 0.99). The top-level bookkeeping keys of an actual document
 * (`_sluice`, and a full sync's `batch_index_date` and `last_updated`) are ignored. Empty when they are equal.
 */
export function diffDocuments(expected: ReadonlyMap<string, Record<string, unknown>>, actual: ReadonlyMap<string, Record<string, unknown>>, options: DiffOptions = {}): string[] {
  const lines: string[] = [];
  const sortIds = (ids: Iterable<string>): string[] => [...ids].sort((a, b) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0));
  for (const id of sortIds(expected.keys())) {
    const wanted = expected.get(id);
    const found = actual.get(id);
    if (found === undefined) {
      lines.push(`${id}: missing`);
      continue;
    }
    // sluice's bookkeeping (its version, and a full sync's batch fields) is not content
    const { _sluice: _ignored, [BATCH_FIELD]: _batch, [LAST_UPDATED_FIELD]: _updated, ...comparable } = found;
    const difference = firstDifference(wanted, comparable, '', options.keyOrder ?? false);
    if (difference !== undefined) lines.push(`${id}: ${difference}`);
  }
  for (const id of sortIds(actual.keys())) if (!expected.has(id)) lines.push(`${id}: unexpected (${show(actual.get(id))})`);
  const limit = options.limit;
  if (limit !== undefined && lines.length > limit) return [...lines.slice(0, limit), `... and ${lines.length - limit} more`];
  return lines;
}
