import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { ENDPOINT_VARIABLES, LOCAL_STACK_PORTS } from '../../src/config/endpoints.js';
import { describeError } from '../../src/errors.js';
import { findBinlogProblems, readBinlogVariables } from '../../src/sources/mysql/binlog-requirements.js';
import { mysqlConnectionOptions, redactUrl } from '../../src/sources/mysql/connection-options.js';
import { findCommand } from '../host-tools.js';
import { runToCompletion, spawnDetached, tailOfFile, type DetachedProcess } from '../processes.js';
import type { LocalService, ProbeResult, StackContext } from '../service.js';
import { STACK_SECURE_ACCOUNTS } from '../secure-accounts.js';
import { giveToServiceAccount } from '../service-user.js';
import { SERVICE_USER, servicePaths } from '../settings.js';
import { StackError } from '../stack-error.js';
import { tlsFiles } from '../tls-material.js';

const SOCKET = 'mariadb.sock';

/** The certificate files MariaDB serves TLS with (PEM). */
export interface MariadbTlsSettings {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

/**
 * The server options of the stack's MariaDB: loopback only, ROW binlog with full images, metadata
 * and GTIDs, and with `tls` TLS on the same port (plain connections stay allowed; the TLS account
 * requires it).
 */
export function mariadbServerArguments(home: string, port: number, tls?: MariadbTlsSettings): string[] {
  return [
    '--no-defaults',
    `--datadir=${join(home, 'data')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(home, SOCKET)}`,
    `--pid-file=${join(home, 'mariadbd.pid')}`,
    `--log-error=${join(home, 'mariadb.log')}`,
    '--skip-name-resolve',
    `--log-bin=${join(home, 'data', 'binlog')}`,
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--binlog-row-metadata=FULL',
    '--server-id=1',
    '--gtid-domain-id=0',
    '--log-bin-trust-function-creators=1',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--default-time-zone=+00:00',
    '--innodb-buffer-pool-size=256M',
    '--max-connections=500',
    ...(tls === undefined ? [] : [`--ssl-ca=${tls.caCert}`, `--ssl-cert=${tls.serverCert}`, `--ssl-key=${tls.serverKey}`]),
  ];
}

/** The project-owned MariaDB: its own data directory and port, started from Debian's mariadb-server. */
export const mariadbService: LocalService = {
  name: 'mariadb',
  endpointVariable: ENDPOINT_VARIABLES.mysqlUrl,
  endpoint: (context) => redactUrl(context.endpoints.mysqlUrl),
  port: LOCAL_STACK_PORTS.mariadb,
  paths: (context) => servicePaths(context.stackDir, 'mariadb'),
  startTimeoutMs: 60_000,
  stopGraceMs: 30_000,
  writesOwnPidFile: false,
  startFailureFix: 'read the log; a stale data directory can be reset with `npm run stack -- down --purge`',

  async probe(context): Promise<ProbeResult> {
    let connection;
    try {
      connection = await createConnection({ ...mysqlConnectionOptions(context.endpoints.mysqlUrl), connectTimeout: 3_000 });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
        return {
          healthy: false,
          reason: describeError(error),
          misconfiguration: {
            problem: `access denied for ${redactUrl(context.endpoints.mysqlUrl)}`,
            fix: `check the user and password in ${ENDPOINT_VARIABLES.mysqlUrl}`,
          },
        };
      }
      return { healthy: false, reason: describeError(error) };
    }
    try {
      const variables = await readBinlogVariables(connection);
      const problems = findBinlogProblems(variables);
      if (problems.length > 0) {
        return {
          healthy: false,
          reason: 'binlog not usable for change capture',
          misconfiguration: {
            problem: problems.map((problem) => `${problem.variable}=${problem.actual} (needs ${problem.expected})`).join(', '),
            fix: problems.map((problem) => problem.fix).join('; '),
          },
        };
      }
      return { healthy: true, details: `${variables.version ?? '?'}, binlog ROW/FULL/FULL` };
    } finally {
      await connection.end();
    }
  },

  async prepare(context): Promise<void> {
    const { home, data } = this.paths(context);
    mkdirSync(home, { recursive: true });
    giveToServiceAccount(home, context.runAs);
    if (existsSync(join(data, 'mysql'))) return;
    const installDb = findCommand('mariadb-install-db', ['/usr/bin', '/usr/sbin']) ?? 'mariadb-install-db';
    const result = await runToCompletion(
      installDb,
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...(context.runAs === undefined ? [] : [`--user=${SERVICE_USER}`]),
      ],
      { runAs: context.runAs, cwd: home },
    );
    if (result.code !== 0) {
      throw new StackError('mariadb', `mariadb-install-db failed (exit ${result.code})`, 'remove the data directory and retry: npm run stack -- down --purge', {
        logFile: this.paths(context).logFile,
        logTail: result.output.split('\n').slice(-15).join('\n'),
      });
    }
  },

  configuration: (context) => serverArguments(context).join('\n'),

  async start(context): Promise<DetachedProcess> {
    const { home, logFile } = this.paths(context);
    const mariadbd = findCommand('mariadbd', ['/usr/sbin', '/usr/libexec']) ?? 'mariadbd';
    const process = spawnDetached(mariadbd, serverArguments(context), {
      logFile,
      cwd: home,
      runAs: context.runAs,
    });
    await createStackUser(join(home, SOCKET), process, logFile, this.startTimeoutMs);
    return process;
  },
};

function serverArguments(context: StackContext): string[] {
  const tls = tlsFiles(context.stackDir);
  return mariadbServerArguments(mariadbService.paths(context).home, mariadbService.port, { caCert: tls.caCert, serverCert: tls.serverCert, serverKey: tls.serverKey });
}

/**
 * Waits until the new server answers on its socket, then creates the `sluice` account that the
 * stack's URL uses (all privileges, including REPLICATION SLAVE/CLIENT for the binlog) and the
 * TLS-only account of {@link STACK_SECURE_ACCOUNTS}.
 */
async function createStackUser(socketPath: string, process: DetachedProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.exitCode() !== null) {
      throw new StackError('mariadb', `mariadbd exited with code ${process.exitCode()} while starting`, 'read the log: a port in use or a damaged data directory are the usual causes', {
        logFile,
        logTail: tailOfFile(logFile),
      });
    }
    try {
      const connection = await createConnection({ socketPath, user: 'root', password: '' });
      try {
        await connection.query("CREATE USER IF NOT EXISTS 'sluice'@'%' IDENTIFIED BY 'sluice'");
        await connection.query("GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'%' WITH GRANT OPTION");
        const { mysqlTls } = STACK_SECURE_ACCOUNTS;
        await connection.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ? REQUIRE SSL', [mysqlTls.username, '%', mysqlTls.password]);
        await connection.query('ALTER USER ?@? IDENTIFIED BY ? REQUIRE SSL', [mysqlTls.username, '%', mysqlTls.password]);
        await connection.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', [mysqlTls.username, '%']);
        return;
      } finally {
        await connection.end();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError('mariadb', `no answer on ${socketPath}: ${describeError(error)}`, 'read the log', { logFile, logTail: tailOfFile(logFile) });
      }
      await sleep(250);
    }
  }
}
