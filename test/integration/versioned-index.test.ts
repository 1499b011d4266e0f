import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
// through the public API, as a program embedding sluice writes its migrations in TypeScript
import { ensureVersionedIndex, LockHeldError, migrateVersionedIndex, type MigrationProgress, type Migrations, type VersionedIndexSpec } from '../../src/index.js';
import { LOCK_INDEX } from '../../src/sinks/indexes/index-lock.js';
import { migrationLockId } from '../../src/sinks/indexes/migrate-index.js';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { testEngine } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** v2 moves nested and dotted names and drops a field; v3 adds a computed field that fails without a title. */
const MIGRATIONS: Migrations = {
  2: [{ rename: { from: 'meta.author', to: 'author.name' } }, { rename: { from: 'meta["first.name"]', to: 'first_name' } }, { remove: 'legacy' }],
  3: [{ painless: 'ctx._source.title_length = ctx._source.title.length();' }],
};

const MAPPINGS: Record<number, Record<string, unknown>> = {
  1: { properties: { title: { type: 'text' }, meta: { type: 'object' }, legacy: { type: 'integer' }, seq: { type: 'integer' }, updated_at: { type: 'date', format: 'epoch_millis' } } },
  2: { properties: { title: { type: 'text' }, author: { properties: { name: { type: 'keyword' } } }, first_name: { type: 'keyword' }, seq: { type: 'integer' }, updated_at: { type: 'date', format: 'epoch_millis' } } },
  3: {
    properties: { title: { type: 'text' }, author: { properties: { name: { type: 'keyword' } } }, first_name: { type: 'keyword' }, seq: { type: 'integer' }, title_length: { type: 'integer' }, updated_at: { type: 'date', format: 'epoch_millis' } },
  },
};

function spec(name: string, version: number, extra: Partial<VersionedIndexSpec> = {}): VersionedIndexSpec {
  return { name, version, settings: { number_of_replicas: 0 }, mappings: MAPPINGS[version], migrations: MIGRATIONS, timestampField: 'updated_at', ...extra };
}

/** A version 1 document; every tenth has no title (the v3 script fails on it). */
function v1Document(id: number): Record<string, unknown> {
  return { ...(id % 10 === 0 ? {} : { title: `film ${id}` }), meta: { author: `author ${id}`, 'first.name': `first ${id}` }, legacy: id, seq: id, updated_at: Date.now() };
}

/** What a v1 document becomes at v3 (undefined: it goes to the error index). */
function expectedV3(id: number, source: Record<string, unknown>): Record<string, unknown> | undefined {
  if (id % 10 === 0) return undefined;
  return { title: `film ${id}`, meta: {}, author: { name: `author ${id}` }, first_name: `first ${id}`, seq: id, title_length: `film ${id}`.length, updated_at: source.updated_at };
}

async function setUp(engine: SearchEngine, count: number): Promise<{ name: string; sources: Map<number, Record<string, unknown>> }> {
  const name = uniqueName('versioned');
  cleanup.add(async () => {
    for (const found of await engine.listIndexes(`${name}-*`)) await engine.deleteIndex(found.index);
  });
  expect(await ensureVersionedIndex(engine, spec(name, 1))).toEqual({ action: 'created', index: `${name}-v1` });
  const sources = new Map<number, Record<string, unknown>>();
  for (let start = 1; start <= count; start += 1000) {
    const lines: string[] = [];
    for (let id = start; id < Math.min(start + 1000, count + 1); id += 1) {
      const source = v1Document(id);
      sources.set(id, source);
      lines.push(JSON.stringify({ index: { _index: name, _id: String(id) } }), JSON.stringify(source));
    }
    const result = await engine.bulk(`${lines.join('\n')}\n`, { refresh: true });
    expect(result.errors).toBe(false);
  }
  return { name, sources };
}

async function readAll(engine: SearchEngine, index: string): Promise<Map<string, Record<string, unknown>>> {
  await engine.refresh(index);
  const documents = new Map<string, Record<string, unknown>>();
  for await (const page of engine.scan<Record<string, unknown>>(index, { pageSize: 1000 })) for (const hit of page) documents.set(hit._id, hit._source ?? {});
  return documents;
}

async function expectV3(engine: SearchEngine, name: string, sources: Map<number, Record<string, unknown>>): Promise<void> {
  const migrated = await readAll(engine, name);
  const failed = await readAll(engine, `${name}-v3-error`);
  for (const [id, source] of sources) {
    const expected = expectedV3(id, source);
    if (expected === undefined) {
      expect(migrated.has(String(id))).toBe(false);
      expect(failed.get(String(id))).toMatchObject({ step: 'v3 step 1', version: 3, document: { seq: id }, error: expect.stringContaining('NullPointerException') as unknown });
    } else {
      expect(migrated.get(String(id))).toEqual(expected);
    }
  }
  expect(migrated.size).toBe([...sources.keys()].filter((id) => id % 10 !== 0).length);
  expect(failed.size).toBe([...sources.keys()].filter((id) => id % 10 === 0).length);
  expect(Object.keys(await engine.getAlias(name))).toEqual([`${name}-v3`]);
}

describe('versioned indexes on OpenSearch', () => {
  it('migrates v1 -> v2 -> v3 and v1 -> v3 directly to the same documents, with failures in the error index', async () => {
    const engine = testEngine('opensearch', cleanup);
    const stepwise = await setUp(engine, 300);
    const direct = await setUp(engine, 300);

    const toV2 = await migrateVersionedIndex(engine, spec(stepwise.name, 2), { pollMs: 100 });
    expect(toV2).toMatchObject({ outcome: 'migrated', from: 1, to: 2, index: `${stepwise.name}-v2`, failed: 0, resumed: false });
    expect((await readAll(engine, stepwise.name)).get('7')).toEqual({ title: 'film 7', meta: {}, author: { name: 'author 7' }, first_name: 'first 7', seq: 7, updated_at: stepwise.sources.get(7)?.updated_at });
    expect(await engine.indexExists(`${stepwise.name}-v2-error`)).toBe(false);
    const toV3 = await migrateVersionedIndex(engine, spec(stepwise.name, 3, { keepOldIndex: false }), { pollMs: 100 });
    expect(toV3).toMatchObject({ outcome: 'migrated', from: 2, to: 3, failed: 30, errorIndex: `${stepwise.name}-v3-error`, oldIndexDeleted: true });
    expect(await engine.indexExists(`${stepwise.name}-v2`)).toBe(false);
    expect(await engine.indexExists(`${stepwise.name}-v1`)).toBe(true);
    await expectV3(engine, stepwise.name, stepwise.sources);

    const progress: MigrationProgress[] = [];
    const oneStep = await migrateVersionedIndex(engine, spec(direct.name, 3), { pollMs: 50, onProgress: (update) => progress.push(update) });
    expect(oneStep).toMatchObject({ outcome: 'migrated', from: 1, to: 3, failed: 30, oldIndexDeleted: false });
    expect(progress.filter((update) => update.phase === 'copy').at(-1)).toMatchObject({ copied: 300, total: 300 });
    await expectV3(engine, direct.name, direct.sources);

    // nothing left to do; the lock is free
    expect(await migrateVersionedIndex(engine, spec(direct.name, 3))).toMatchObject({ outcome: 'up-to-date' });
    expect((await engine.get<{ owner: string | null }>(LOCK_INDEX, migrationLockId(direct.name)))?._source.owner).toBeNull();
  });

  it('adds a new field in place without a version bump and refuses a type change', async () => {
    const engine = testEngine('opensearch', cleanup);
    const { name } = await setUp(engine, 10);
    expect(await ensureVersionedIndex(engine, spec(name, 1))).toEqual({ action: 'unchanged', index: `${name}-v1` });
    const withField = spec(name, 1, { mappings: { properties: { ...(MAPPINGS[1]?.properties as object), rating: { type: 'float' } } } });
    expect(await ensureVersionedIndex(engine, withField)).toEqual({ action: 'fields-added', index: `${name}-v1`, fields: ['rating'] });
    expect((await engine.describeIndex(`${name}-v1`)).mappings).toMatchObject({ properties: { rating: { type: 'float' } } });
    expect(await ensureVersionedIndex(engine, withField)).toMatchObject({ action: 'unchanged' });
    const retyped = spec(name, 1, { mappings: { properties: { ...(MAPPINGS[1]?.properties as object), legacy: { type: 'keyword' } } } });
    const refusal = await ensureVersionedIndex(engine, retyped).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigurationError);
    expect((refusal as ConfigurationError).message).toContain('legacy (integer -> keyword)');
    expect((refusal as ConfigurationError).fix).toContain(`raise indexes.${name}.version to 2`);
  });

  it.each([
    ['a timestamp field', 'updated_at'],
    ['sequence numbers (no timestamp field)', undefined],
  ])('keeps the writes made during the copy, caught up by %s', async (_how, timestampField) => {
    const engine = testEngine('opensearch', cleanup);
    const { name, sources } = await setUp(engine, 3000);
    // what the document sink adds to the index it writes (its bookkeeping fields, gc_deletes)
    await engine.putMapping(name, { properties: { _sluice: { properties: { refs: { type: 'keyword' } } } } });
    await engine.putSettings(name, { 'index.gc_deletes': '2h' });
    let writing = true;
    let next = 100_001;
    const written = new Map<string, number>();
    const writer = (async () => {
      while (writing) {
        // a new document and an update of an old one, through the alias (the running pipeline)
        const id = next++;
        const updated = 1 + (id % 3000);
        const source = { title: `film ${id}`, seq: id, updated_at: Date.now() };
        const body = [JSON.stringify({ index: { _index: name, _id: String(id) } }), JSON.stringify(source), JSON.stringify({ update: { _index: name, _id: String(updated) } }), JSON.stringify({ doc: { seq: -id, updated_at: Date.now() } }), ''].join('\n');
        const result = await engine.bulk(body);
        expect(result.errors).toBe(false);
        written.set(String(id), id);
        written.set(String(updated), -id);
      }
    })();
    const report = await migrateVersionedIndex(engine, spec(name, 2, { timestampField }), { pollMs: 50, batchSize: 100, catchUpMarginMs: 2_000 });
    writing = false;
    await writer;
    expect(report.outcome).toBe('migrated');
    expect(written.size).toBeGreaterThan(2);
    const migrated = await readAll(engine, name);
    for (const [id, seq] of written) expect({ id, seq: migrated.get(id)?.seq }).toEqual({ id, seq });
    for (const id of sources.keys()) expect(migrated.has(String(id))).toBe(true);
    const described = await engine.describeIndex(`${name}-v2`);
    expect(described.mappings).toMatchObject({ properties: { _sluice: { properties: { refs: { type: 'keyword' } } }, author: { properties: { name: { type: 'keyword' } } } } });
    expect(described.settings.gc_deletes).toBe('2h');
  });

  it('lets one of two concurrent migrations run: the other is refused, or waits and finds it done', async () => {
    const engine = testEngine('opensearch', cleanup);
    const { name, sources } = await setUp(engine, 2000);
    const outcomes = await Promise.allSettled([
      migrateVersionedIndex(engine, spec(name, 3), { pollMs: 50, batchSize: 200 }),
      migrateVersionedIndex(engine, spec(name, 3), { pollMs: 50, batchSize: 200 }),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(LockHeldError);
    await expectV3(engine, name, sources);

    const other = await setUp(engine, 1000);
    const waited = await Promise.all([
      migrateVersionedIndex(engine, spec(other.name, 3), { pollMs: 50, lock: { waitMs: 120_000, pollMs: 100 } }),
      migrateVersionedIndex(engine, spec(other.name, 3), { pollMs: 50, lock: { waitMs: 120_000, pollMs: 100 } }),
    ]);
    expect(waited.map((report) => report.outcome).sort()).toEqual(['migrated', 'up-to-date']);
    await expectV3(engine, other.name, other.sources);
  });

  it('resumes a migration whose process was killed -9 during the copy', async () => {
    const engine = testEngine('opensearch', cleanup);
    const { name, sources } = await setUp(engine, 20_000);
    const child = spawn('node', ['--import', 'tsx', 'test/helpers/migrate-worker.ts', JSON.stringify(spec(name, 3)), '5000', '50'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanup.add(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    await waitFor(() => /phase copy \S+/.test(output), { timeoutMs: 60_000, description: `the worker's copy to start (output: ${output})` });
    child.kill('SIGKILL');
    await exited;
    expect(output).not.toContain('done');
    // the lock is held by the dead process until its TTL runs out, then taken over with its state
    const refused = await migrateVersionedIndex(engine, spec(name, 3)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LockHeldError);
    const report = await migrateVersionedIndex(engine, spec(name, 3), { pollMs: 100, lock: { waitMs: 30_000, pollMs: 200 } });
    expect(report).toMatchObject({ outcome: 'migrated', resumed: true, from: 1, to: 3, failed: 2000 });
    await expectV3(engine, name, sources);
  });

  it('refuses a step that is not valid Painless, leaving the index as it was', async () => {
    const engine = testEngine('opensearch', cleanup);
    const { name } = await setUp(engine, 20);
    const broken = spec(name, 2, { migrations: { 2: [{ remove: 'legacy' }, { painless: 'ctx._source.x = ;' }] } });
    const refusal = await migrateVersionedIndex(engine, broken, { pollMs: 50 }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigurationError);
    expect((refusal as ConfigurationError).message).toMatch(/is not valid Painless: .*compile error/);
    expect((refusal as ConfigurationError).fix).toContain(`indexes.${name}.migrations`);
    expect(await engine.indexExists(`${name}-v2`)).toBe(false);
    expect(await engine.indexExists(`${name}-v2-error`)).toBe(false);
    expect(Object.keys(await engine.getAlias(name))).toEqual([`${name}-v1`]);
    // the fixed file migrates from the start (the refused attempt left no state to resume)
    expect(await migrateVersionedIndex(engine, spec(name, 2), { pollMs: 50 })).toMatchObject({ outcome: 'migrated', resumed: false });
  });

  it('refuses to migrate on a cluster without painless and reindex, before touching anything', async (context) => {
    const engine = testEngine('elasticsearch', cleanup);
    const capabilities = await engine.capabilities();
    if (capabilities.painless && capabilities.reindex) context.skip('this Elasticsearch has both modules');
    const name = uniqueName('versioned');
    const refusal = await migrateVersionedIndex(engine, spec(name, 2)).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigurationError);
    expect((refusal as Error).message).toMatch(/sluice indexes migrate needs the lang-painless and reindex modules/);
    expect(await engine.indexExists(`${name}-v2`)).toBe(false);
    expect(await engine.indexExists(name)).toBe(false);
  });
});
