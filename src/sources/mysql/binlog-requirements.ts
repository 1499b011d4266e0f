import type { Connection } from 'mysql2/promise';

/** The server variables that decide whether row-based change capture works. */
export const BINLOG_VARIABLES = [
  'version',
  'version_comment',
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'binlog_row_metadata',
  'gtid_mode',
  'server_id',
] as const;

/** One server setting that stops sluice from capturing changes, and how to fix it. */
export interface BinlogProblem {
  readonly variable: string;
  readonly expected: string;
  readonly actual: string;
  readonly fix: string;
}

/** True when the server's version string names MariaDB. */
export function isMariaDb(variables: Readonly<Record<string, string>>): boolean {
  return /mariadb/i.test(`${variables.version ?? ''} ${variables.version_comment ?? ''}`);
}

/**
 * Compares the server's variables with what change capture needs: the binlog on, ROW format,
 * FULL row images, FULL row metadata (column names in the binlog), and GTIDs (always on in
 * MariaDB; gtid_mode=ON in MySQL). Returns every problem found, empty when the server is ready.
 */
export function findBinlogProblems(variables: Readonly<Record<string, string>>): BinlogProblem[] {
  const problems: BinlogProblem[] = [];
  const expect = (variable: string, expected: string, fix: string): void => {
    const actual = variables[variable] ?? '(not set)';
    if (actual.toUpperCase() !== expected) problems.push({ variable, expected, actual, fix });
  };
  expect('log_bin', 'ON', 'start the server with --log-bin');
  expect('binlog_format', 'ROW', 'set binlog_format=ROW (SET GLOBAL binlog_format=ROW, or --binlog-format=ROW)');
  expect('binlog_row_image', 'FULL', 'set binlog_row_image=FULL (or --binlog-row-image=FULL)');
  expect(
    'binlog_row_metadata',
    'FULL',
    'set binlog_row_metadata=FULL (SET GLOBAL binlog_row_metadata=FULL, or --binlog-row-metadata=FULL)',
  );
  if (!isMariaDb(variables)) {
    expect('gtid_mode', 'ON', 'set gtid_mode=ON and enforce_gtid_consistency=ON (MySQL)');
  }
  return problems;
}

/** Reads {@link BINLOG_VARIABLES} from a server as a name -> value map. */
export async function readBinlogVariables(connection: Connection): Promise<Record<string, string>> {
  const placeholders = BINLOG_VARIABLES.map(() => '?').join(', ');
  const [rows] = await connection.query(
    `SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS value FROM information_schema.GLOBAL_VARIABLES WHERE LOWER(VARIABLE_NAME) IN (${placeholders})`,
    [...BINLOG_VARIABLES],
  );
  const variables: Record<string, string> = {};
  for (const row of rows as Array<{ name: string; value: string }>) variables[row.name] = String(row.value);
  return variables;
}
