import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { runToCompletion } from './processes.js';
import { StackError } from './stack-error.js';

/** A program the stack needs on the machine, and the Debian package that provides it. */
export interface HostTool {
  readonly command: string;
  readonly debianPackage: string;
  readonly neededBy: string;
  /** Extra folders to look in (mariadbd lives in /usr/sbin, often not on a user's PATH). */
  readonly extraDirectories?: readonly string[];
}

/** Every program the local stack uses. */
export const HOST_TOOLS: readonly HostTool[] = [
  { command: 'mariadbd', debianPackage: 'mariadb-server', neededBy: 'mariadb', extraDirectories: ['/usr/sbin', '/usr/libexec'] },
  { command: 'mariadb-install-db', debianPackage: 'mariadb-server', neededBy: 'mariadb', extraDirectories: ['/usr/bin', '/usr/sbin'] },
  { command: 'mariadb', debianPackage: 'mariadb-client', neededBy: 'mariadb' },
  { command: 'java', debianPackage: 'openjdk-17-jre-headless', neededBy: 'kafka, elasticsearch and opensearch' },
  { command: 'mvn', debianPackage: 'maven', neededBy: 'kafka, elasticsearch and opensearch (downloads from Maven Central)' },
  { command: 'unzip', debianPackage: 'unzip', neededBy: 'elasticsearch and opensearch' },
  { command: 'openssl', debianPackage: 'openssl', neededBy: 'mariadb and kafka (TLS certificates)' },
  // only for `npm run bench -- --peers` (PGSync runs on Postgres, with Redis)
  { command: 'pg_ctlcluster', debianPackage: 'postgresql', neededBy: 'bench peers (PGSync)', extraDirectories: ['/usr/bin'] },
  { command: 'redis-server', debianPackage: 'redis-server', neededBy: 'bench peers (PGSync)', extraDirectories: ['/usr/bin'] },
];

/** The absolute path of a command, or undefined when it is not installed. */
export function findCommand(command: string, extraDirectories: readonly string[] = []): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...extraDirectories].filter((dir) => dir !== '');
  for (const directory of directories) {
    const candidate = join(directory, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Makes sure every tool the selected services need is installed. As root, missing Debian packages
 * are installed with apt-get; otherwise the error names the packages to install.
 */
export async function ensureHostTools(services: ReadonlySet<string>, isRoot: boolean): Promise<void> {
  const wanted = HOST_TOOLS.filter((tool) => [...services].some((service) => tool.neededBy.includes(service)));
  const missing = wanted.filter((tool) => findCommand(tool.command, tool.extraDirectories) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))];
  const service = [...new Set(missing.map((tool) => tool.neededBy))].join(', ');
  if (!isRoot) {
    throw new StackError(
      service,
      `missing programs: ${missing.map((tool) => tool.command).join(', ')}`,
      `install them: sudo apt-get install -y ${packages.join(' ')} (or point SLUICE_MYSQL_URL / SLUICE_KAFKA_BROKERS / SLUICE_ES_NODE at running services)`,
    );
  }
  process.stdout.write(`stack: installing ${packages.join(' ')} with apt-get\n`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runToCompletion('apt-get', ['update', '-qq'], { env });
  const install = await runToCompletion('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
  if (install.code !== 0) {
    throw new StackError(
      service,
      `apt-get install ${packages.join(' ')} failed (exit ${install.code})`,
      'check the apt sources and network, then run the command again',
      { logTail: `${update.output}\n${install.output}`.split('\n').slice(-15).join('\n') },
    );
  }
}

/** The JDK home of the `java` on the PATH (JAVA_HOME when set). */
export function javaHome(): string {
  const configured = process.env.JAVA_HOME;
  if (configured !== undefined && configured !== '' && existsSync(join(configured, 'bin', 'java'))) return configured;
  const java = findCommand('java');
  if (java === undefined) {
    throw new StackError('kafka and elasticsearch', 'no java found', 'install a JDK 17: apt-get install -y openjdk-17-jre-headless');
  }
  return dirname(dirname(realpathSync(java)));
}
