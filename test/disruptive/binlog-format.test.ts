import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { uniqueName } from '../helpers/names.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';
import { writePipelineFile } from '../helpers/sluice-process.js';

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
    const file = writePipelineFile(`
pipeline: ${uniqueName('fmt').replaceAll('_', '-')}
source:
  mysql:
    url: ${endpoints.mysqlUrl}
    databases: [${db}]
kafka:
  brokers: [${endpoints.kafkaBrokers.join(', ')}]
`);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    let message: string;
    try {
      code = await main(['node', 'sluice', 'source', '-c', file]);
      message = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
    } finally {
      stderr.mockRestore();
    }
    expect(code).toBe(2);
    expect(message).toContain('binlog_format=MIXED (needs ROW)');
    expect(message).toContain('binlog_row_image=MINIMAL (needs FULL)');
    expect(message).toContain('fix: set binlog_format=ROW');
  });
});
