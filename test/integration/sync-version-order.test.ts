import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltDocument, BuiltDocuments } from '../../src/descriptors/build-documents.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { SyncSession } from '../../src/sinks/orchestrator/orchestrator.js';
import { testEngine } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const logger = pino({ level: 'silent' });

/** A built document as the builder makes it (content, then `_sluice` with the content hash). */
function built(id: string, body: Record<string, unknown>): BuiltDocument {
  const bodyJson = JSON.stringify(body);
  const metadata = { id, hash: createHash('sha256').update(bodyJson).digest('hex').slice(0, 32), refs: [] };
  const source = { ...body, _sluice: metadata };
  const json = JSON.stringify(source);
  return { id, hash: metadata.hash, source, json, body: Buffer.from(json), jsonBytes: Buffer.byteLength(json) };
}

const page = (version: number, documents: BuiltDocument[]): BuiltDocuments => ({ version, documents, missing: [] });

/** What the continuous sink does: an index with the build's snapshot version, external_gte. */
async function continuousWrite(engine: SearchEngine, index: string, document: BuiltDocument, version: number): Promise<number> {
  const result = await engine.bulk(`${JSON.stringify({ index: { _index: index, _id: document.id, version, version_type: 'external_gte' } })}\n${document.json}\n`);
  return result.items[0]?.status ?? 0;
}

async function titleOf(engine: SearchEngine, index: string, id: string): Promise<unknown> {
  return (await engine.get<{ title?: string }>(index, id))?._source.title;
}

describe('full sync and the continuous sink order their writes by one version', () => {
  it('an older build of either writer never overwrites a newer one, and the sweep keeps what the continuous sink wrote after the batch started', async () => {
    const engine = testEngine('opensearch', cleanup);
    const name = uniqueName('order').replaceAll('_', '-');
    const primary = { name, settings: { number_of_replicas: 0 } };
    cleanup.add(async () => {
      for (const index of Object.keys(await engine.getAlias(name))) await engine.deleteIndex(index);
      await engine.deleteIndexTemplate(`sluice-${name}`);
    });
    const first = await SyncSession.start(engine, { primary, fromVersion: 100, logger });
    expect(await first.write(page(100, [built('a', { title: 'A' }), built('b', { title: 'B' }), built('c', { title: 'C' })]))).toEqual({ written: 3, unchanged: 0, superseded: 0 });
    await first.complete();

    // the continuous sink, after the next batch started at version 300: b rebuilt at 400, d created at 500
    const second = await SyncSession.start(engine, { primary, fromVersion: 300, logger });
    expect(second.plan.strategy).toBe('reindex');
    expect(await continuousWrite(engine, name, built('b', { title: 'B from 400' }), 400)).toBeLessThan(300);
    expect(await continuousWrite(engine, name, built('d', { title: 'D from 500' }), 500)).toBeLessThan(300);
    // the batch's build at 350: a unchanged, b older than the index's (superseded), c gone from the database
    expect(await second.write(page(350, [built('a', { title: 'A' }), built('b', { title: 'B at 350' })]))).toEqual({ written: 0, unchanged: 1, superseded: 1 });
    // a late, older continuous build of a is refused
    expect(await continuousWrite(engine, name, built('a', { title: 'A from 90' }), 90)).toBe(409);
    const report = await second.complete();
    expect(report).toMatchObject({ strategy: 'reindex', written: 0, unchanged: 1, superseded: 1, deleted: 1 });
    expect(await titleOf(engine, name, 'a')).toBe('A');
    expect(await titleOf(engine, name, 'b')).toBe('B from 400');
    expect(await titleOf(engine, name, 'c')).toBeUndefined();
    expect(await titleOf(engine, name, 'd')).toBe('D from 500');

    // a sync build newer than the continuous sink's replaces it, and an older continuous build cannot undo that
    const third = await SyncSession.start(engine, { primary, fromVersion: 600, logger });
    expect(await third.write(page(700, [built('a', { title: 'A' }), built('b', { title: 'B at 700' }), built('d', { title: 'D from 500' })]))).toEqual({ written: 1, unchanged: 2, superseded: 0 });
    expect(await continuousWrite(engine, name, built('b', { title: 'B from 650' }), 650)).toBe(409);
    expect(await third.complete()).toMatchObject({ deleted: 0 });
    expect(await titleOf(engine, name, 'b')).toBe('B at 700');
    const b = await engine.get<{ _sluice: { version: number } }>(name, 'b');
    expect(b?._version).toBe(700);
    expect(b?._source._sluice.version).toBe(700);
  }, 60_000);

  it('replaces a plain index of the same name (made by the continuous sink before any sync) by the alias, in one atomic change', async () => {
    const engine = testEngine('opensearch', cleanup);
    const name = uniqueName('plain').replaceAll('_', '-');
    cleanup.add(async () => {
      for (const index of Object.keys(await engine.getAlias(name))) await engine.deleteIndex(index);
      await engine.deleteIndex(name);
      await engine.deleteIndexTemplate(`sluice-${name}`);
    });
    expect(await engine.createIndex(name, { settings: { number_of_replicas: 0 } })).toBe('created');
    expect(await continuousWrite(engine, name, built('a', { title: 'A from 50' }), 50)).toBeLessThan(300);
    const session = await SyncSession.start(engine, { primary: { name, settings: { number_of_replicas: 0 } }, fromVersion: 100, logger });
    expect(session.plan).toEqual({ strategy: 'multiplex', primary: 'new-index' });
    await session.write(page(120, [built('a', { title: 'A' }), built('b', { title: 'B' })]));
    // searches still answer from the plain index while the new one fills
    expect(await titleOf(engine, name, 'a')).toBe('A from 50');
    const report = await session.complete();
    expect(Object.keys(await engine.getAlias(name))).toEqual([report.indexes.primary]);
    expect(await engine.getAlias(`${name}-write`)).toEqual({ [report.indexes.primary]: { isWriteIndex: true } });
    expect(await titleOf(engine, name, 'a')).toBe('A');
    expect(await engine.count(name)).toBe(2);
  }, 60_000);
});
