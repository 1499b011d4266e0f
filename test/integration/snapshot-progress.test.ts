import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotProgress } from '../../src/streams/snapshot-progress.js';
import { startTestCapture } from '../helpers/capture.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql } from '../helpers/services.js';
import { pipelineYaml, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function tablesWithRows(prefix: string): Promise<string> {
  const db = await createTestDatabase(cleanup, prefix);
  const sql = await openMysql(cleanup, db);
  await sql.query('CREATE TABLE a (id INT PRIMARY KEY)');
  await sql.query('CREATE TABLE b (id INT PRIMARY KEY)');
  await sql.query('INSERT INTO a SELECT seq FROM seq_1_to_2500');
  await sql.query('INSERT INTO b SELECT seq FROM seq_1_to_700');
  await sql.query('ANALYZE TABLE a, b');
  return db;
}

describe('snapshot progress', () => {
  it('reports rows per table against the database\'s estimates, growing to the exact counts', async () => {
    const db = await tablesWithRows('snap_progress');
    const reports: SnapshotProgress[] = [];
    const { capture } = startTestCapture(cleanup, db, uniqueName('snapprog'), { snapshot: { mode: 'initial', pageSize: 500 }, onSnapshotProgress: (progress) => reports.push(progress) });
    await waitFor(() => capture.stats.lastSaved?.snapshotCompleted, { timeoutMs: 60_000, description: 'the snapshot' });
    const first = reports[0];
    const last = reports.at(-1);
    expect(first?.rows).toBe(0);
    // InnoDB's estimates after ANALYZE TABLE: present, and close to the real counts
    for (const table of first?.tables ?? []) expect(table.estimatedRows, table.table).toBeGreaterThan(0);
    expect(first?.estimatedRows).toBeGreaterThan(1_500);
    expect(last).toMatchObject({ completed: true, rows: 3_200, estimatedRows: 3_200 });
    expect(Object.fromEntries((last?.tables ?? []).map((table) => [table.table, table.rows]))).toEqual({ [`${db}.a`]: 2_500, [`${db}.b`]: 700 });
    const rows = reports.map((report) => report.rows);
    expect(rows).toEqual([...rows].sort((x, y) => x - y));
    expect(reports.length).toBeGreaterThanOrEqual(7); // start, 5 + 2 pages, end
  });

  it('`sluice source` logs the snapshot\'s progress and a per-table summary off a terminal', async () => {
    const db = await tablesWithRows('snap_log');
    const pipeline = uniqueName('snaplog').replaceAll('_', '-');
    const source = startSluice(['source', '-c', writePipelineFile(pipelineYaml(pipeline, [db]))], cleanup, { SLUICE_LOG_LEVEL: 'info' });
    await waitFor(() => source.output().includes('"msg":"snapshot tables"'), { timeoutMs: 60_000, description: `the snapshot summary (output: ${source.output().slice(-1500)})` });
    const lines = source.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.msg === 'snapshot progress')).toMatchObject({ tableCount: 2 });
    expect(lines.find((line) => line.msg === 'snapshot tables')).toMatchObject({ rows: 3_200, tables: { [`${db}.a`]: 2_500, [`${db}.b`]: 700 } });
  });
});
