import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexLock, LOCK_INDEX, LockHeldError, LockLostError } from '../../src/sinks/indexes/index-lock.js';
import { ensureVersionedIndex } from '../../src/sinks/indexes/versioned-index.js';
import { testEngine } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the lock document on OpenSearch', () => {
  it('is renewed while held, refuses others, hands its state over once it expires, and notices when it is lost', async () => {
    const engine = testEngine('opensearch', cleanup);
    const resource = uniqueName('lock');
    const first = await IndexLock.acquire(engine, resource, { ttlMs: 600, owner: 'first' });
    await first.save({ phase: 'copy' });
    // three TTLs later it is still held: the background renewal extended it
    await sleep(1800);
    await expect(IndexLock.acquire(engine, resource, { ttlMs: 600, owner: 'second' })).rejects.toBeInstanceOf(LockHeldError);
    expect((await engine.get<{ owner: string; expiresAt: number }>(LOCK_INDEX, resource))?._source).toMatchObject({ owner: 'first', expiresAt: expect.any(Number) as unknown });
    // a waiting acquirer gets it after the release, with the state left behind
    const waiting = IndexLock.acquire(engine, resource, { ttlMs: 600, owner: 'second', waitMs: 10_000, pollMs: 50 });
    await sleep(300);
    await first.release();
    const second = await waiting;
    expect(second.previousState).toEqual({ phase: 'copy' });
    // someone else overwrote the document (as after an expiry): the holder notices on its next renewal
    const current = await engine.get(LOCK_INDEX, resource);
    await engine.putDocument(LOCK_INDEX, resource, { owner: 'intruder', expiresAt: Date.now() + 60_000, state: null }, { ifSeqNo: current!._seq_no, ifPrimaryTerm: current!._primary_term });
    await expect(second.renew()).rejects.toBeInstanceOf(LockLostError);
    expect(second.signal.aborted).toBe(true);
  });

  it('creates a versioned index once when several processes configure it at once', async () => {
    const engine = testEngine('opensearch', cleanup);
    const name = uniqueName('marker');
    cleanup.add(() => engine.deleteIndex(`${name}-v1`));
    const spec = { name, version: 1, settings: { number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' } } } };
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => ensureVersionedIndex(engine, spec)));
    expect(outcomes.map((outcome) => outcome.action).sort()).toEqual(['created', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(Object.keys(await engine.getAlias(name))).toEqual([`${name}-v1`]);
  });
});
