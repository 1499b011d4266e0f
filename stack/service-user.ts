import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { RunAs } from './processes.js';
import { SERVICE_USER } from './settings.js';
import { StackError } from './stack-error.js';

/**
 * The account the services run as. As root (CI) that is the unprivileged system user `sluice`,
 * created when missing, because Elasticsearch refuses to run as root; otherwise the current user,
 * and `undefined` means "as myself".
 */
export function serviceAccount(isRoot: boolean, stackDir: string): RunAs | undefined {
  if (!isRoot) return undefined;
  if (!userExists(SERVICE_USER)) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', stackDir, '--shell', '/usr/sbin/nologin', SERVICE_USER], {
        stdio: 'pipe',
      });
    } catch (cause) {
      throw new StackError('stack', `could not create the service user "${SERVICE_USER}"`, 'create it: useradd --system sluice', { cause });
    }
  }
  const uid = Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' }).trim());
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
