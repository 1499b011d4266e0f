import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemapOutcome } from '../../examples/sakila/remap-verdict.js';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { testEngine } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { diffDocuments, expectedFilmDocuments } from '../helpers/sakila-oracle.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { Cleanup, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Runs `npm run demo:mapping-change -- <args>` (the same script, through tsx) and resolves with its exit code and output. */
function runDemo(args: readonly string[]): Promise<{ code: number; output: string }> {
  const child = spawn('node', ['--import', 'tsx', 'examples/sakila/mapping-change-demo.ts', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, SLUICE_LOG_LEVEL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number; output: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 143), output })));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return exited;
}

describe('npm run demo:mapping-change (OpenSearch)', () => {
  it('changes the films mapping while changes stream: searches answer from the old index during the fill, the aliases move, the documents equal the database', async () => {
    const engine = testEngine('opensearch', cleanup);
    const name = uniqueName('remap');
    const alias = `${name.replaceAll('_', '-')}-films`;
    const admin = await openMysql(cleanup);
    cleanup.add(async () => {
      for (const { index } of await engine.listIndexes(`${alias}__*`)) await engine.deleteIndex(index);
      await engine.deleteIndexTemplate(`sluice-${alias}`).catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      rmSync(join(tmpdir(), 'sluice-demo', `${name.replaceAll('_', '-')}.yml`), { force: true });
    });
    const folder = mkdtempSync(join(tmpdir(), 'sluice-test-'));
    const report = join(folder, 'outcome.json');
    cleanup.add(() => Promise.resolve(rmSync(folder, { recursive: true, force: true })));

    const run = await runDemo(['--name', name, '--films', '2000', '--duration', '2', '--rate', '20', '--report', report]);
    expect(run.code, run.output.slice(-6000)).toBe(0);
    expect(existsSync(report)).toBe(true);
    const outcome = JSON.parse(readFileSync(report, 'utf8')) as RemapOutcome;
    expect(outcome.ok).toBe(true);
    expect(outcome.checks.filter((check) => !check.ok)).toEqual([]);
    const seen = outcome.observations;
    const end = outcome.end;
    if (seen === undefined || end === undefined) throw new Error('the report lacks observations');
    // the old index answered, with every document, while the new one was still filling
    expect(seen.newIndex).toBeDefined();
    expect(seen.oldAnsweredWhileNewPartial).toBeGreaterThan(0);
    expect(seen.newDocsWhileOldAnswered?.min ?? 2000).toBeLessThan(2000);
    expect(seen.newAnsweredEarly).toBe(0);
    expect(seen.badAnswers).toBe(0);
    expect(end.updatesDuringFill).toBeGreaterThan(0);
    expect(end.equality?.rows).toBe(2000);
    expect(run.output).toContain(`the read alias ${alias} moved to ${seen.newIndex ?? ''}`);

    // checked here again, independently of the demo: the aliases, the old index, and the
    // documents against a truth built with hand-written SQL (test/helpers/sakila-oracle.ts)
    expect(Object.keys(await engine.getAlias(alias))).toEqual([seen.newIndex]);
    expect(Object.keys(await engine.getAlias(`${alias}-write`))).toEqual([seen.newIndex]);
    expect(await engine.indexExists(seen.oldIndex)).toBe(false);
    const sql = await openMysql(cleanup, name);
    const expected = await expectedFilmDocuments(sql, name);
    expect(expected.size).toBe(2000);
    const indexed = new Map(
      [...(await readIndexDocuments(engine, alias)).entries()].map(([id, { batch_index_date: _batch, last_updated: _updated, ...document }]) => [id, document]),
    );
    expect(diffDocuments(expected, indexed, { limit: 10 })).toEqual([]);
    expect(await engine.count(alias, { exists: { field: 'title.raw' } })).toBe(2000);
  }, 600_000);
});
