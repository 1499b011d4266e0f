import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { SluiceError } from '../../src/errors.js';
import { findCommand } from '../../stack/host-tools.js';

/** The folder of the Sakila SQL files (BSD licensed, see their headers). */
export const SAKILA_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));

/** Row counts of the main Sakila tables, or undefined when the database is absent. */
export async function sakilaCounts(connection: Connection): Promise<Record<string, number> | undefined> {
  const [schemas] = await connection.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'sakila'");
  if ((schemas as unknown[]).length === 0) return undefined;
  const tables = ['film', 'actor', 'film_actor', 'category', 'customer', 'address', 'rental', 'payment'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    try {
      const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM sakila.\`${table}\``);
      counts[table] = Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);
    } catch {
      return undefined;
    }
  }
  return counts;
}

/**
 * Loads the Sakila schema and data into the database at `mysqlUrl` with the mariadb (or mysql)
 * command-line client, which understands the DELIMITER blocks of the triggers and procedures.
 */
export async function loadSakila(mysqlUrl: string): Promise<void> {
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
    await new Promise<void>((resolve, reject) => {
      const child = spawn(client, file === 'sakila-data.sql' ? [...args, 'sakila'] : args, { env, stdio: ['pipe', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new SluiceError(`loading ${file} failed (exit ${code}): ${stderr.trim()}`)),
      );
      createReadStream(join(SAKILA_DIRECTORY, file)).pipe(child.stdin);
    });
  }
}
