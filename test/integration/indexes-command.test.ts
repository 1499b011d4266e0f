import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { testEngine, ENGINE_NODES } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup } from '../helpers/services.js';
import { pipelineYaml, startSluice, writePipelineFile } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A pipeline file with a versioned index `name` (at `version`) and a daily partitioned index `name_events`. */
function indexesYaml(node: string, name: string, version: number): string {
  return [
    pipelineYaml('indexes_test', ['sakila']),
    `elasticsearch:\n  node: ${node}`,
    'indexes:',
    `  ${name}:`,
    `    version: ${version}`,
    '    timestampField: updated_at',
    '    settings: { number_of_replicas: 0 }',
    `    mappings: { properties: { ${version === 1 ? 'title' : 'name'}: { type: keyword }, updated_at: { type: date, format: epoch_millis } } }`,
    ...(version === 1 ? [] : ['    migrations:', '      2:', '        - rename: { from: title, to: name }']),
    `  ${name}_events:`,
    '    partition: daily',
    '    timestampField: at',
    '    maxAge: 30d',
    '    windows: { last-7d: 7d }',
    '    settings: { number_of_replicas: 0 }',
    '',
  ].join('\n');
}

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const process = startSluice(args, cleanup);
  const code = await process.exited;
  return { code, output: process.output() };
}

describe('sluice indexes', () => {
  it('status, maintain and migrate on OpenSearch: a field rename from v1 to v2', async () => {
    const engine = testEngine('opensearch', cleanup);
    const name = uniqueName('cmd');
    cleanup.add(async () => {
      for (const found of await engine.listIndexes(`${name}*`)) await engine.deleteIndex(found.index);
    });
    const file = writePipelineFile(indexesYaml(ENGINE_NODES.opensearch, name, 1));

    const before = await run(['indexes', 'status', '-c', file, '--json']);
    expect(before.code, before.output).toBe(0);
    expect(JSON.parse(before.output)).toMatchObject([{ name, kind: 'versioned', currentVersion: null, pending: `create ${name}-v1` }, { name: `${name}_events`, kind: 'daily', indexes: [] }]);

    const maintained = await run(['indexes', 'maintain', '-c', file]);
    expect(maintained.code, maintained.output).toBe(0);
    expect(maintained.output).toContain(`${name}: created ${name}-v1`);
    const lines = Array.from({ length: 50 }, (_, id) => `${JSON.stringify({ index: { _index: name, _id: String(id) } })}\n${JSON.stringify({ title: `film ${id}`, updated_at: Date.now() })}\n`);
    expect((await engine.bulk(lines.join(''), { refresh: true })).errors).toBe(false);

    writeFileSync(file, indexesYaml(ENGINE_NODES.opensearch, name, 2));
    const pending = await run(['indexes', 'status', '-c', file]);
    expect(pending.code, pending.output).toBe(0);
    expect(pending.output).toMatch(new RegExp(`^ALIAS\\s+KIND\\s+VERSION\\s+INDEX\\s+DOCS\\s+AGE\\s+STATE`, 'm'));
    expect(pending.output).toMatch(new RegExp(`${name}\\s+versioned\\s+v1 \\(want v2\\)\\s+${name}-v1\\s+50\\s+\\S+\\s+aliased`));
    expect(pending.output).toContain(`pending: ${name}: migrate v1 -> v2`);

    const migrated = await run(['indexes', 'migrate', '-c', file]);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toContain(`${name}: migrated v1 -> v2 into ${name}-v2: copied 50`);
    expect(migrated.output).toMatch(/copy 50\/50 documents \(100%\), \d+ docs\/s, ETA/);
    expect((await engine.get<Record<string, unknown>>(name, '7'))?._source).toMatchObject({ name: 'film 7' });

    const after = await run(['indexes', 'status', '-c', file, '--json']);
    expect(JSON.parse(after.output)).toMatchObject([{ name, currentVersion: 2, configuredVersion: 2 }, {}]);
    expect((JSON.parse(after.output) as Array<{ pending: string | null }>)[0]?.pending).toBeNull();
  });

  it('migrate refuses, with exit code 2 and the missing module named, on a cluster without painless and reindex', async (context) => {
    const engine = testEngine('elasticsearch', cleanup);
    const capabilities = await engine.capabilities();
    if (capabilities.painless && capabilities.reindex) context.skip('this Elasticsearch has both modules');
    const name = uniqueName('cmd');
    const file = writePipelineFile(indexesYaml(ENGINE_NODES.elasticsearch, name, 2));
    const refused = await run(['indexes', 'migrate', '-c', file]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('sluice indexes migrate needs the lang-painless and reindex modules');
    expect(await engine.indexExists(`${name}-v2`)).toBe(false);
    expect(await engine.indexExists(`${name}-v1`)).toBe(false);
    // status and maintain need neither module
    const status = await run(['indexes', 'status', '-c', file]);
    expect(status.code, status.output).toBe(0);
    const maintained = await run(['indexes', 'maintain', '-c', file]);
    expect(maintained.code, maintained.output).toBe(0);
    cleanup.add(async () => {
      for (const found of await engine.listIndexes(`${name}*`)) await engine.deleteIndex(found.index);
    });
    expect(await engine.indexExists(`${name}-v2`)).toBe(true);
  });
});
