import { classifyError } from '../../classify-error.js';
import { createConnection } from 'mysql2/promise';
import { ConfigurationError, describeError } from '../../errors.js';
import { findBinlogProblems, readBinlogVariables } from './binlog-requirements.js';
import { mysqlConnectionOptions, redactUrl } from './connection-options.js';
import { readTableCatalog } from './table-catalog.js';
import { type TableFilter } from '../../model/table.js';

/** What the capture needs to exist in the database: the databases, and tables named without wildcards. */
export interface PreflightExpectations {
  readonly databases: readonly string[];
  /** Explicit `db.table` names of the include list (patterns without '*'). */
  readonly explicitTables: readonly string[];
  readonly filter: TableFilter;
}

/**
 * The replication privileges a grant list lacks: REPLICATION SLAVE (MySQL 8.4: REPLICATION
 * REPLICA) to read the binlog, and REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR; SUPER
 * covers it) to read positions. ALL PRIVILEGES ON *.* covers both. Only global grants
 * (`ON *.*`) count, and only their privilege list is read (not the user name).
 */
export function missingReplicationPrivileges(grants: readonly string[]): string[] {
  const global = grants
    .map((grant) => /^\s*GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\b/i.exec(grant)?.[1])
    .filter((privileges): privileges is string => privileges !== undefined)
    .join(', ')
    .toUpperCase();
  if (/\bALL PRIVILEGES\b/.test(global)) return [];
  const missing: string[] = [];
  if (!/\bREPLICATION (SLAVE|REPLICA)\b/.test(global)) missing.push('REPLICATION SLAVE');
  if (!/\bREPLICATION CLIENT\b|\bBINLOG MONITOR\b|\bSUPER\b/.test(global)) missing.push('REPLICATION CLIENT');
  return missing;
}

/**
 * Checks, before anything starts, that the source database can be captured: it answers, its
 * binlog is ROW/FULL/FULL (with GTIDs), the user may replicate, and the configured databases and
 * tables exist. Each failure is a ConfigurationError (exit code 2) naming the fix.
 */
export async function preflightMysqlSource(url: string, expectations: PreflightExpectations): Promise<void> {
  let connection;
  try {
    connection = await createConnection({ ...mysqlConnectionOptions(url), connectTimeout: 5_000 });
  } catch (cause) {
    const verdict = classifyError(cause);
    throw new ConfigurationError(
      `cannot connect to the source database at ${redactUrl(url)}: ${describeError(cause)}`,
      verdict.kind === 'permanent' && verdict.fix !== undefined ? verdict.fix : 'check source.mysql.url (host, port, user, password) and that the server is running',
      { cause },
    );
  }
  try {
    const problems = findBinlogProblems(await readBinlogVariables(connection));
    if (problems.length > 0) {
      throw new ConfigurationError(
        `the binlog of ${redactUrl(url)} cannot be captured: ${problems.map((p) => `${p.variable}=${p.actual} (needs ${p.expected})`).join(', ')}`,
        problems.map((p) => p.fix).join('; '),
      );
    }
    const [grantRows] = await connection.query('SHOW GRANTS');
    const grants = (grantRows as Array<Record<string, string>>).map((row) => Object.values(row)[0] ?? '');
    const missing = missingReplicationPrivileges(grants);
    if (missing.length > 0) {
      const user = mysqlConnectionOptions(url).user ?? '';
      throw new ConfigurationError(
        `the user "${user}" lacks ${missing.join(' and ')}, needed to read the binlog`,
        `GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '${user}'@'%'; (as an administrator)`,
      );
    }
    const placeholders = expectations.databases.map(() => '?').join(', ');
    const [schemaRows] = await connection.query(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (${placeholders})`, [...expectations.databases]);
    const found = new Set((schemaRows as Array<{ name: string }>).map((row) => row.name));
    const missingDatabases = expectations.databases.filter((db) => !found.has(db));
    if (missingDatabases.length > 0) {
      throw new ConfigurationError(`unknown database(s) in source.mysql.databases: ${missingDatabases.join(', ')}`, 'create them, or fix the names in source.mysql.databases');
    }
    const catalog = await readTableCatalog(connection, expectations.databases, expectations.filter);
    const unknownTables = expectations.explicitTables.filter((name) => !catalog.has(name));
    if (unknownTables.length > 0) {
      throw new ConfigurationError(`unknown table(s) in source.mysql.include: ${unknownTables.join(', ')}`, 'fix the table names, or use a pattern such as db.*');
    }
  } finally {
    await connection.end();
  }
}
