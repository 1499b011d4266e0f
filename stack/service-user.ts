import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { RunAs } from './processes.js';
import { SERVICE_USER } from './settings.js';
import { StackError } from './stack-error.js';

/**
 * The account a service runs as. As root (CI) that is an unprivileged system user (`sluice`
 * unless the service names its own), created when missing, because Elasticsearch and OpenSearch
 * refuse to run as root; otherwise the current user, and `undefined` means "as myself".
 */
export function serviceAccount(isRoot: boolean, stackDir: string, name: string = SERVICE_USER): RunAs | undefined {
  if (!isRoot) return undefined;
  if (!userExists(name)) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', stackDir, '--shell', '/usr/sbin/nologin', name], {
        stdio: 'pipe',
      });
    } catch (cause) {
      if (!userExists(name)) throw new StackError('stack', `could not create the service user "${name}"`, `create it: useradd --system ${name}`, { cause });
    }
  }
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid, home: stackDir };
}

/** Gives a folder tree to the service account (no-op when running as the current user). */
export function giveToServiceAccount(path: string, account: RunAs | undefined): void {
  if (account === undefined) return;
  execFileSync('chown', ['-R', `${account.uid}:${account.gid}`, path]);
}

/** The name of the account running this process. */
export function currentUserName(): string {
  return userInfo().username;
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
