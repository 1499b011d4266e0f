/**
 * `npm run demo`: brings the local stack up (or uses the services named by SLUICE_*), loads the
 * Sakila sample database into MariaDB when it is not there yet, and prints what it holds and
 * where the binlog stands. Later versions of sluice run the Sakila pipeline from here.
 */
import { createConnection } from 'mysql2/promise';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { describeError } from '../../src/errors.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, stackUp } from '../../stack/stack.js';
import { loadSakila, sakilaCounts } from './load-sakila.js';

async function demo(): Promise<void> {
  const context = createStackContext();
  process.stdout.write('sluice demo: starting the local stack\n');
  process.stdout.write(formatReports(await stackUp(context), {}));

  const connection = await createConnection(mysqlConnectionOptions(context.endpoints.mysqlUrl));
  try {
    let counts = await sakilaCounts(connection);
    if (counts?.film !== 1000) {
      process.stdout.write('sluice demo: loading the Sakila sample database\n');
      const started = Date.now();
      await loadSakila(context.endpoints.mysqlUrl);
      counts = await sakilaCounts(connection);
      process.stdout.write(`sluice demo: Sakila loaded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      process.stdout.write('sluice demo: Sakila is already loaded\n');
    }
    const [position] = await connection.query('SELECT @@gtid_binlog_pos AS gtid');
    process.stdout.write(
      [
        '',
        'sakila now holds:',
        ...Object.entries(counts ?? {}).map(([table, count]) => `  ${table.padEnd(12)}${String(count).padStart(7)} rows`),
        `binlog position (GTID): ${(position as Array<{ gtid: string }>)[0]?.gtid ?? 'unknown'}`,
        '',
        'Every change to these tables is now in the row binlog, ready for capture.',
        'Stop the services with: npm run stack -- down',
        '',
      ].join('\n'),
    );
  } finally {
    await connection.end();
  }
}

demo().catch((error: unknown) => {
  process.stderr.write(`sluice demo: ${describeError(error)}\n`);
  process.exitCode = 1;
});
