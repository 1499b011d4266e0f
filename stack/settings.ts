import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Versions of the JVM services, fetched from Maven Central (docker-compose.yml uses the same). */
export const SERVICE_VERSIONS = {
  kafka: '4.3.1',
  elasticsearch: '8.19.21',
  /** 2.19.x runs on the Java 17 every machine has (3.x needs Java 21+). */
  opensearch: '2.19.6',
} as const;

/** The folder of this project (where package.json is). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The unprivileged account that runs the services when the stack command runs as root. */
export const SERVICE_USER = 'sluice';

/**
 * Where the stack keeps its installs, data, logs and pid files:
 * $SLUICE_STACK_DIR, else /var/lib/sluice-stack for root (readable by the service user),
 * else $XDG_STATE_HOME/sluice-stack (~/.local/state/sluice-stack).
 */
export function stackDirectory(env: NodeJS.ProcessEnv = process.env, isRoot: boolean = runsAsRoot()): string {
  const configured = env.SLUICE_STACK_DIR?.trim();
  if (configured !== undefined && configured !== '') return resolve(configured);
  if (isRoot) return '/var/lib/sluice-stack';
  const state = env.XDG_STATE_HOME?.trim();
  return join(state !== undefined && state !== '' ? state : join(homedir(), '.local', 'state'), 'sluice-stack');
}

/** True when this process runs as root (CI does). */
export function runsAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The per-service folders inside the stack directory. */
export interface ServicePaths {
  readonly home: string;
  readonly data: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** Folder layout of one service inside the stack directory. */
export function servicePaths(stackDir: string, service: string, logFileName = `${service}.log`): ServicePaths {
  const home = join(stackDir, service);
  return {
    home,
    data: join(home, 'data'),
    logFile: join(home, logFileName),
    pidFile: join(home, `${service}.pid`),
  };
}
