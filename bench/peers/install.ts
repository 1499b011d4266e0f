/**
 * Installs the peers the benchmark compares sluice with, each from its registry through the
 * ordinary client, cached in ~/.cache/sluice-peers (SLUICE_PEERS_CACHE) so a second run reuses it:
 * - PGSync from PyPI into a virtualenv;
 * - Debezium Server from Maven Central (`io.debezium:debezium-server-dist` tar.gz), resolved with
 *   `mvn dependency:copy` (the artifact alone: its parent POM is not served), unpacked;
 * - Postgres and Redis are Debian's packages (`postgresql`, `redis-server`): run-peers.ts installs
 *   them with apt-get when missing (stack/host-tools.ts, as root); here they are only found.
 * Each function answers with what it found, or the reason the peer cannot run (the bench then
 * skips it and prints that reason).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A peer ready to run, or why not. */
export type Installed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The versions measured. */
export const PEER_VERSIONS = { pgsync: '7.3.0', debezium: '3.6.1.Final' } as const;

/** Java 21+ for Debezium Server 3.x: Temurin 25 (SLUICE_PEERS_JAVA_HOME to use another). */
export const JAVA_HOME = process.env.SLUICE_PEERS_JAVA_HOME ?? '/usr/lib/jvm/temurin-25-jdk-amd64';

/** The cache folder of the installed peers. */
export function peersCache(): string {
  return process.env.SLUICE_PEERS_CACHE ?? join(homedir(), '.cache', 'sluice-peers');
}

/** The last lines of a failed command's output, for a reason. */
function failure(error: unknown): string {
  const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message?: string };
  return `${stderr ?? ''}${stdout ?? ''}`.trim().split('\n').slice(-3).join(' ') || (message ?? String(error));
}

/** PGSync in a virtualenv: the folder of its commands (pgsync, bootstrap). */
export async function installPgsync(): Promise<Installed<{ bin: string; version: string }>> {
  const version = PEER_VERSIONS.pgsync;
  const venv = join(peersCache(), `pgsync-${version}`);
  const bin = join(venv, 'bin');
  if (!existsSync(join(bin, 'pgsync'))) {
    try {
      await run('python3', ['-m', 'venv', venv]);
      await run(join(bin, 'pip'), ['install', '--quiet', `pgsync==${version}`], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      rmSync(venv, { recursive: true, force: true });
      return { ok: false, reason: `pip install pgsync==${version} failed: ${failure(error)}` };
    }
  }
  return { ok: true, value: { bin, version } };
}

/** Debezium Server unpacked: its home folder (runner jar, lib/, config/lib). */
export async function installDebezium(): Promise<Installed<{ home: string; java: string; version: string }>> {
  const version = PEER_VERSIONS.debezium;
  const java = join(JAVA_HOME, 'bin', 'java');
  if (!existsSync(java)) return { ok: false, reason: `Debezium Server 3.x needs Java 21+: ${java} does not exist (install Temurin 25 or set SLUICE_PEERS_JAVA_HOME)` };
  const major = await javaMajorVersion(java);
  if (major < 21) return { ok: false, reason: `Debezium Server 3.x needs Java 21+: ${java} is Java ${major} (set SLUICE_PEERS_JAVA_HOME to a JDK 21+)` };
  const folder = join(peersCache(), `debezium-${version}`);
  const home = join(folder, 'debezium-server');
  if (!existsSync(join(home, 'lib'))) {
    try {
      // G:A:V:type: the artifact without its POM's parent (not served)
      await run('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=io.debezium:debezium-server-dist:${version}:tar.gz`, `-DoutputDirectory=${folder}`], {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 1_800_000,
      });
      const archive = join(folder, `debezium-server-dist-${version}.tar.gz`);
      await run('tar', ['xzf', archive, '-C', folder]);
      // the archive stays in the local Maven repository; the unpacked copy is what runs
      rmSync(archive, { force: true });
    } catch (error) {
      rmSync(home, { recursive: true, force: true });
      return { ok: false, reason: `mvn dependency:copy -Dartifact=io.debezium:debezium-server-dist:${version}:tar.gz failed: ${failure(error)}` };
    }
  }
  if (!readdirSync(join(home, 'lib')).some((jar) => jar.startsWith('debezium-connector-mariadb'))) {
    return { ok: false, reason: `${home}/lib has no MariaDB connector` };
  }
  return { ok: true, value: { home, java, version } };
}

/** The major version `java -version` reports (0 when it cannot be read). */
async function javaMajorVersion(java: string): Promise<number> {
  try {
    const { stderr } = await run(java, ['-version']);
    return Number(/version "(\d+)/.exec(stderr)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Debian's Postgres server binaries (initdb, pg_ctl, postgres) and psql. */
export function findPostgres(): Installed<{ bin: string }> {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) return { ok: false, reason: 'no Postgres server: apt-get install -y postgresql' };
  return { ok: true, value: { bin: join(root, newest, 'bin') } };
}

/** Debian's redis-server. */
export function findRedis(): Installed<{ server: string }> {
  const server = '/usr/bin/redis-server';
  return existsSync(server) ? { ok: true, value: { server } } : { ok: false, reason: 'no redis-server: apt-get install -y redis-server' };
}
