import type { BinlogEvent } from '@vlasky/zongji';
import { afterEach, describe, expect, it } from 'vitest';
import { findBinlogProblems, readBinlogVariables } from '../../src/sources/mysql/binlog-requirements.js';
import { Cleanup, createTestDatabase, openMysql, testZongji } from '../helpers/services.js';
import { nextEvent } from '../helpers/wait-for.js';

interface RowsEvent extends BinlogEvent {
  tableMap: Record<number, { parentSchema: string; tableName: string }>;
  tableId: number;
  rows: Array<Record<string, unknown>>;
}

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('MariaDB with a row binlog', () => {
  it('is configured for change capture: binlog on, ROW, full row images and metadata', async () => {
    const connection = await openMysql(cleanup);
    const variables = await readBinlogVariables(connection);
    expect(findBinlogProblems(variables)).toEqual([]);
    expect(variables.log_bin).toBe('ON');
  });

  it('delivers a committed row to zongji as a row event carrying the transaction GTID', async () => {
    const database = await createTestDatabase(cleanup, 'binlog');
    const connection = await openMysql(cleanup, database);
    await connection.query('CREATE TABLE product (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(100), price DECIMAL(12,4))');

    const zongji = testZongji(cleanup);
    const errors: unknown[] = [];
    zongji.on('error', (error: unknown) => errors.push(error));
    const ready = nextEvent<void>(zongji, 'ready');
    zongji.start({ serverId: 10_000 + Math.floor(Math.random() * 1_000_000), startAtEnd: true, includeEvents: ['tablemap', 'writerows'], includeSchema: { [database]: ['product'] } });
    await ready;

    const written = nextEvent<RowsEvent>(zongji, 'binlog', (event) => event.getEventName() === 'writerows');
    await connection.query("INSERT INTO product VALUES (18446744073709551615, 'lamp', '12.3400')");
    const [gtidRows] = await connection.query('SELECT @@last_gtid AS gtid');
    const committedGtid = (gtidRows as Array<{ gtid: string }>)[0]?.gtid;
    const event = await written;

    expect(errors).toEqual([]);
    expect(event.tableMap[event.tableId]).toMatchObject({ parentSchema: database, tableName: 'product' });
    expect(event.rows).toEqual([{ id: '18446744073709551615', name: 'lamp', price: '12.3400' }]);
    expect(event.gtid).toMatch(/^\d+-\d+-\d+$/);
    expect(event.gtid).toBe(committedGtid);
  });
});
