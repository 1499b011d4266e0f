/**
 * A Postgres (logical WAL, for PGSync) and a Redis for the benchmark's peers, from Debian's
 * binaries, in data folders under <stack directory>/peers, on ports the stack does not use.
 * Postgres refuses to run as root: as root it runs as the stack's service account. Both are
 * stopped by `stop()`, which removes their folder.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { giveToServiceAccount, serviceAccount } from '../../stack/service-user.js';
import type { RunAs } from '../../stack/processes.js';
import { runsAsRoot, stackDirectory } from '../../stack/settings.js';

const run = promisify(execFile);

/** Ports of the peers' servers (the stack uses 13306, 19092, 19094, 19200, 19201). */
export const PEER_PORTS = { postgres: 15432, redis: 16379 } as const;

/** A running Postgres and Redis. */
export interface PeerServers {
  readonly postgresUrl: { host: string; port: number; user: string };
  readonly redisPort: number;
  /** The pid of redis-server (its peak RSS counts with PGSync's). */
  redisPid(): number | undefined;
  /** Runs SQL in `database` through psql (stops at the first error). */
  psql(database: string, sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts both in a fresh data folder (a previous run's is removed first). */
export async function startPeerServers(postgresBin: string, redisServer: string): Promise<PeerServers> {
  const root = join(stackDirectory(), 'peers');
  rmSync(root, { recursive: true, force: true });
  const pgData = join(root, 'postgres');
  mkdirSync(root, { recursive: true });
  const account: RunAs | undefined = serviceAccount(runsAsRoot(), stackDirectory());
  giveToServiceAccount(root, account);
  const as = account === undefined ? {} : { uid: account.uid, gid: account.gid };
  const pgLog = join(root, 'postgres.log');
  await run(join(postgresBin, 'initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], { ...as, cwd: root });
  const settings = [`-p ${PEER_PORTS.postgres}`, `-k ${root}`, '-c listen_addresses=127.0.0.1', '-c wal_level=logical', '-c max_replication_slots=10', '-c max_wal_senders=10'];
  try {
    await run(join(postgresBin, 'pg_ctl'), ['-D', pgData, '-l', pgLog, '-o', settings.join(' '), '-w', 'start'], { ...as, cwd: root });
  } catch (error) {
    throw new Error(`Postgres did not start: ${existsSync(pgLog) ? readFileSync(pgLog, 'utf8').slice(-1000) : ''}`, { cause: error });
  }
  const redisPidFile = join(root, 'redis.pid');
  await run(redisServer, ['--port', String(PEER_PORTS.redis), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', root, '--save', '', '--appendonly', 'no', '--pidfile', redisPidFile, '--logfile', join(root, 'redis.log')]);
  const redisPid = (): number | undefined => {
    const pid = existsSync(redisPidFile) ? Number(readFileSync(redisPidFile, 'utf8').trim()) : NaN;
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  for (let attempt = 0; attempt < 50 && redisPid() === undefined; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  const psqlBin = join(postgresBin, 'psql');
  return {
    postgresUrl: { host: '127.0.0.1', port: PEER_PORTS.postgres, user: 'postgres' },
    redisPort: PEER_PORTS.redis,
    redisPid,
    psql: async (database, sql) => {
      const { stdout } = await run(psqlBin, ['-h', '127.0.0.1', '-p', String(PEER_PORTS.postgres), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-q', '-At', '-c', sql], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout.trim();
    },
    stop: async () => {
      const pid = redisPid();
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await run(join(postgresBin, 'pg_ctl'), ['-D', pgData, '-m', 'fast', '-w', 'stop'], { ...as, cwd: root }).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
