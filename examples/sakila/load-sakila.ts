import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { SluiceError } from '../../src/errors.js';
import { findCommand } from '../../stack/host-tools.js';

/** The folder of the Sakila SQL files (BSD licensed, see their headers). */
export const SAKILA_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));

/** The database name the Sakila files are written for. */
export const SAKILA_DATABASE = 'sakila';

/** Checks that `database` is a plain identifier (letters, digits, `_`, `$`), so it can be quoted safely. */
function checkDatabaseName(database: string): string {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new SluiceError(`invalid database name "${database}" for Sakila: use letters, digits, _ and $ (at most 64)`);
  }
  return database;
}

/** Row counts of the main Sakila tables of `database`, or undefined when the database (or a table) is absent. */
export async function sakilaCounts(connection: Connection, database = SAKILA_DATABASE): Promise<Record<string, number> | undefined> {
  checkDatabaseName(database);
  const [schemas] = await connection.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  if ((schemas as unknown[]).length === 0) return undefined;
  const tables = ['film', 'actor', 'film_actor', 'category', 'customer', 'address', 'rental', 'payment'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    try {
      const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``);
      counts[table] = Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
    } catch {
      return undefined;
    }
  }
  return counts;
}

/**
 * The text of a Sakila SQL file, rewritten for `database`: the schema file's
 * `DROP SCHEMA IF EXISTS sakila; CREATE SCHEMA sakila; USE sakila;`, both files' `USE sakila;` and
 * the `sakila.` qualifiers of the actor_info view. The data file holds a binary PNG (the staff
 * picture), so the text is handled byte for byte (latin1), never decoded as UTF-8.
 */
export function rewriteSakilaSql(sql: Buffer, database: string): Buffer {
  checkDatabaseName(database);
  const quoted = `\`${database}\``;
  const text = sql
    .toString('latin1')
    .replace(/^DROP SCHEMA IF EXISTS sakila;$/gm, `DROP SCHEMA IF EXISTS ${quoted};`)
    .replace(/^CREATE SCHEMA sakila;$/gm, `CREATE SCHEMA ${quoted};`)
    .replace(/^USE sakila;$/gm, `USE ${quoted};`)
    .replace(/(?<![\w@.$`])sakila\.(?=\w)/g, `${quoted}.`);
  return Buffer.from(text, 'latin1');
}

/**
 * Loads the Sakila schema and data into `database` (dropped first when it exists) at `mysqlUrl`
 * with the mariadb (or mysql) command-line client, which understands the DELIMITER blocks of the
 * triggers and procedures. The SQL files are rewritten on the fly for the target name.
 */
export async function loadSakila(mysqlUrl: string, database = SAKILA_DATABASE): Promise<void> {
  checkDatabaseName(database);
  const client = findCommand('mariadb') ?? findCommand('mysql');
  if (client === undefined) {
    throw new SluiceError('no mariadb or mysql command-line client found: install mariadb-client (apt-get install -y mariadb-client)');
  }
  const options = mysqlConnectionOptions(mysqlUrl);
  const args = [
    `--host=${options.host ?? '127.0.0.1'}`,
    `--port=${options.port ?? 3306}`,
    `--user=${options.user ?? 'root'}`,
    '--default-character-set=utf8mb4',
  ];
  const env = { ...process.env, MYSQL_PWD: options.password ?? '' };
  for (const file of ['sakila-schema.sql', 'sakila-data.sql']) {
    const sql = rewriteSakilaSql(await readFile(join(SAKILA_DIRECTORY, file)), database);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(client, file === 'sakila-data.sql' ? [...args, database] : args, { env, stdio: ['pipe', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new SluiceError(`loading ${file} into ${database} failed (exit ${code}): ${stderr.trim()}`)),
      );
      // A client that exits early (bad credentials) closes its stdin: the close handler reports it.
      child.stdin.on('error', () => undefined);
      child.stdin.end(sql);
    });
  }
}
