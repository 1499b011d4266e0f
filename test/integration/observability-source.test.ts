import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, get, metricValue, parseMetrics } from '../helpers/http-endpoint.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql } from '../helpers/services.js';
import { pipelineYaml, startSluice, writePipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the HTTP endpoint of sluice source', () => {
  it('is turned on by the http section of the file, counts the capture per table and closes on SIGTERM', async () => {
    const db = await createTestDatabase(cleanup, 'httpsrc');
    const pipeline = uniqueName('httpsrc').replaceAll('_', '-');
    const sql = await openMysql(cleanup, db);
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20))');
    await sql.query("INSERT INTO item SELECT seq, CONCAT('item-', seq) FROM seq_1_to_25");
    const port = await freePort();
    const file = writePipelineFile(`${pipelineYaml(pipeline, [db], { mysqlExtra: 'positionSaveIntervalMs: 500' })}http:\n  port: ${port}\n`);
    const source = startSluice(['source', '-c', file], cleanup);
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitFor(
      async () => {
        const answer = await get(`${url}/health/ready`);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: '/health/ready to answer 200' },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${source.output()}`);
    });
    expect(JSON.parse(ready.body)).toEqual({ ready: true, pipeline, reasons: [] });
    await sql.query("UPDATE item SET name = 'renamed' WHERE id < 4");
    const samples = await waitFor(
      async () => {
        const current = parseMetrics((await get(`${url}/metrics`)).body);
        return metricValue(current, 'sluice_captured_rows_total', { table: `${db}.item`, operation: 'update' }) === 3 ? current : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'the 3 updates in the metrics' },
    );
    expect(metricValue(samples, 'sluice_captured_rows_total', { table: `${db}.item`, operation: 'read' })).toBe(25);
    expect(metricValue(samples, 'sluice_capture_delay_seconds_count', { table: `${db}.item` })).toBe(3);
    expect(metricValue(samples, 'sluice_info', { command: 'source' })).toBe(1);
    // a source has no consumer group: no lag, and the page says it writes no documents
    expect(samples.filter((sample) => sample.name === 'sluice_consumer_lag_messages')).toEqual([]);
    const page = await get(`${url}/`);
    expect(page.body).toContain('this command does not write documents');
    expect(page.body).toMatch(new RegExp(`<tr data-table="${db}\\.item"><td>${db}\\.item</td><td class="n" data-field="snapshot">25</td><td class="n" data-field="streamed">3</td>`));
    source.child.kill('SIGTERM');
    expect(await source.exited).toBe(0);
    await expect(get(`${url}/health/live`)).rejects.toThrow();
  });

  it('stops with exit code 2 and the fix when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => holder.close(resolve)));
    const address = holder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const file = writePipelineFile(pipelineYaml(uniqueName('httpbusy').replaceAll('_', '-'), ['mysql']));
    const source = startSluice(['source', '-c', file, '--http-port', String(port)], cleanup);
    expect(await source.exited).toBe(2);
    expect(source.output()).toContain(`the HTTP endpoint cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    expect(source.output()).toContain('fix: choose a free port');
  });
});
