import { writeFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { stringify } from 'yaml';
import { scaffoldDocument } from '../descriptors/scaffold-document.js';
import { ConfigurationError } from '../errors.js';
import { tableKey } from '../model/table.js';
import { mysqlConnectionOptions } from '../sources/mysql/connection-options.js';
import { readForeignKeys } from '../sources/mysql/foreign-keys.js';
import { readTableCatalog } from '../sources/mysql/table-catalog.js';

/** The options of `sluice init`. */
export interface InitCommandOptions {
  /** mysql://user:password@host:port[/database] of the database to read. */
  readonly from: string;
  /** The root table, `db.table` (or `table` when the URL names a database). */
  readonly root: string;
  /** How many relations deep to follow foreign keys (default 1). */
  readonly depth?: string | number | undefined;
  /** Where to write the file (default: stdout). */
  readonly output?: string | undefined;
}

/** The largest depth `sluice init` follows: deeper documents are rarely what one wants. */
const MAX_DEPTH = 4;

/**
 * `sluice init`: reads the tables and foreign keys of a live database and writes a pipeline file
 * whose one document is rooted at `options.root` (see scaffoldDocument). The URL's password is
 * not written: the file reads the URL from SLUICE_MYSQL_URL, with the URL without its password as
 * the default. Resolves to the YAML text.
 */
export async function runInit(options: InitCommandOptions): Promise<string> {
  const depth = Number(options.depth ?? 1);
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DEPTH) {
    throw new ConfigurationError(`--depth ${String(options.depth)}: must be a whole number from 0 to ${MAX_DEPTH}`, 'give --depth 1 (the default) or 2');
  }
  const connectionOptions = mysqlConnectionOptions(options.from);
  const dot = options.root.indexOf('.');
  const db = dot > 0 ? options.root.slice(0, dot) : connectionOptions.database;
  const table = dot > 0 ? options.root.slice(dot + 1) : options.root;
  if (db === undefined || table === '') {
    throw new ConfigurationError(`--root ${options.root}: names no database`, 'write --root database.table, e.g. --root sakila.film');
  }
  const connection = await createConnection(connectionOptions);
  try {
    const foreignKeys = await readForeignKeys(connection, [db]);
    const databases = [...new Set([db, ...foreignKeys.map((key) => key.refDb)])];
    const catalog = await readTableCatalog(connection, databases, () => true);
    const root = catalog.get(tableKey(db, table));
    if (root === undefined) {
      const known = [...catalog.values()].filter((info) => info.db === db).map((info) => info.table);
      throw new ConfigurationError(
        `--root ${options.root}: table ${tableKey(db, table)} does not exist`,
        known.length === 0 ? `check the database name ${db}` : `use one of the tables of ${db}: ${known.slice(0, 30).join(', ')}`,
      );
    }
    if (root.primaryKey.length !== 1) {
      throw new ConfigurationError(`--root ${options.root}: the table has no single-column primary key`, 'choose a root table with a single-column primary key (one document per row, the key is its id)');
    }
    const { definition, databases: used } = scaffoldDocument({ catalog, foreignKeys }, root, depth);
    const url = new URL(options.from);
    url.password = '';
    const pipeline = /^[a-z][a-z0-9_-]{0,62}$/.test(db.toLowerCase()) ? db.toLowerCase() : `p-${db.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 63);
    const config = {
      pipeline,
      source: { mysql: { url: `\${SLUICE_MYSQL_URL:-${url.toString()}}`, databases: used } },
      kafka: { brokers: '${SLUICE_KAFKA_BROKERS:-127.0.0.1:9092}' },
      elasticsearch: { node: '${SLUICE_ES_NODE:-http://127.0.0.1:9200}' },
      documents: { [/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(table) ? table : 'documents']: definition },
    };
    const header = [
      `# A pipeline file proposed by sluice init from the foreign keys of ${tableKey(db, table)} (depth ${depth}).`,
      '# Edit it: drop the fields and relations you do not search on, rename, add orderBy, where, computed.',
      '# The password of the URL is not written here: set SLUICE_MYSQL_URL (mysql://user:password@host:port).',
      `# Check it with: sluice validate -c <this file>`,
      '',
    ].join('\n');
    const text = `${header}${stringify(config, { lineWidth: 0 })}`;
    if (options.output !== undefined) {
      try {
        writeFileSync(options.output, text, { flag: 'wx' });
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw new ConfigurationError(
          code === 'EEXIST' ? `-o ${options.output}: the file exists` : `-o ${options.output}: cannot write the file (${code ?? String(cause)})`,
          code === 'EEXIST' ? 'choose another file name, or remove the file first' : 'write to a directory you may write to',
          { cause },
        );
      }
    }
    return text;
  } finally {
    await connection.end();
  }
}
