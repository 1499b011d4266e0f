/**
 * A process that takes the stack lock of the folder given as argument, does a slow, non-atomic
 * read-increment-write of `counter` in it, logs when it held the lock, and releases it. Used by
 * test/integration/stack-lock.test.ts to prove mutual exclusion across processes.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireStackLock } from '../../stack/lock.js';

const directory = process.argv[2];
if (directory === undefined) throw new Error('usage: lock-worker.ts DIRECTORY');
const lock = await acquireStackLock(directory, { command: 'lock-worker', pollMs: 20 });
const counterFile = join(directory, 'counter');
appendFileSync(join(directory, 'log'), `start ${process.pid} ${Date.now()}\n`);
const value = existsSync(counterFile) ? Number(readFileSync(counterFile, 'utf8')) : 0;
await sleep(150);
writeFileSync(counterFile, String(value + 1));
appendFileSync(join(directory, 'log'), `end ${process.pid} ${Date.now()}\n`);
lock.release();
