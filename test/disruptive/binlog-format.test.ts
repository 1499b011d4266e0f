import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, openMysql } from '../helpers/services.js';
import { pipelineYaml, runCli, writePipelineFile } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a server whose binlog is not ROW with full row images', () => {
  it('is refused before anything starts, with exit code 2 and the settings to change', async () => {
    const db = await createTestDatabase(cleanup, 'format');
    const admin = await openMysql(cleanup);
    await admin.query("SET GLOBAL binlog_format = 'MIXED'");
    await admin.query("SET GLOBAL binlog_row_image = 'MINIMAL'");
    cleanup.add(async () => {
      await admin.query("SET GLOBAL binlog_format = 'ROW'");
      await admin.query("SET GLOBAL binlog_row_image = 'FULL'");
    });
    const file = writePipelineFile(pipelineYaml(uniqueName('fmt').replaceAll('_', '-'), [db]));
    const { code, stderr: message } = await runCli(['source', '-c', file]);
    expect(code).toBe(2);
    expect(message).toContain('binlog_format=MIXED (needs ROW)');
    expect(message).toContain('binlog_row_image=MINIMAL (needs FULL)');
    expect(message).toContain('fix: set binlog_format=ROW');
  });
});
