import { filter, finalize, firstValueFrom, takeWhile, timeout, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { readBinlog, type BinlogItem } from '../../src/sources/mysql/binlog-reader.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const TRANSACTIONS = 200;
const ROWS_PER_TRANSACTION = 5;

/**
 * A table with classic temporal columns (made with mysql56_temporal_format=OFF, a GLOBAL setting,
 * hence this project) makes zongji pause the binlog connection while it reads the table's columns
 * from INFORMATION_SCHEMA; every other pause and resume of that connection (backpressure) must wait
 * for it, or the rows events queued behind the table map are replayed before zongji knows the table
 * and dropped as filtered.
 */
describe('the binlog connection paused by zongji and by sluice at once', () => {
  it('delivers every row of a table whose columns zongji fetches, while backpressure pauses and resumes all along', async () => {
    const database = await createTestDatabase(cleanup, 'pauses');
    const admin = await openMysql(cleanup);
    const [[{ position }]] = (await admin.query('SELECT @@gtid_binlog_pos AS position')) as unknown as [[{ position: string }]];
    await admin.query('SET GLOBAL mysql56_temporal_format = OFF');
    cleanup.add(() => admin.query('SET GLOBAL mysql56_temporal_format = ON'));
    await admin.query(`CREATE TABLE \`${database}\`.classic (id INT PRIMARY KEY, at DATETIME, note VARCHAR(40))`);
    await admin.query('SET GLOBAL mysql56_temporal_format = ON');
    await admin.query(`CREATE TABLE \`${database}\`.sentinel (id INT PRIMARY KEY)`);
    for (let transaction = 0; transaction < TRANSACTIONS; transaction += 1) {
      const rows = Array.from({ length: ROWS_PER_TRANSACTION }, (_, row) => {
        const id = transaction * ROWS_PER_TRANSACTION + row;
        return `(${id}, '2026-12-06 07:00:00', 'row ${id}')`;
      });
      await admin.query(`INSERT INTO \`${database}\`.classic VALUES ${rows.join(',')}`);
    }
    await admin.query(`INSERT INTO \`${database}\`.sentinel VALUES (1)`);

    let hammering = true;
    const rows = await firstValueFrom(
      readBinlog({
        connection: mysqlConnectionOptions(endpoints.mysqlUrl),
        serverId: 20_000 + Math.floor(Math.random() * 1_000_000),
        databases: [database],
        filter: (db) => db === database,
        start: { gtidPosition: position },
        heartbeatMs: 0,
        // backpressure pausing and resuming on every turn of the event loop, as a busy capture may
        onFlowControl: (control) => {
          const beat = (): void => {
            if (!hammering) return;
            control.pause();
            control.resume();
            setImmediate(beat);
          };
          setImmediate(beat);
        },
      }).pipe(
        filter((item): item is Extract<BinlogItem, { kind: 'row' }> => item.kind === 'row'),
        takeWhile((item) => item.table !== 'sentinel'),
        toArray(),
        timeout(30_000),
        finalize(() => (hammering = false)),
      ),
    );

    const ids = rows.map((row) => Number(row.after?.id));
    expect(ids.length).toBe(TRANSACTIONS * ROWS_PER_TRANSACTION);
    expect(ids).toEqual(Array.from({ length: TRANSACTIONS * ROWS_PER_TRANSACTION }, (_, id) => id));
    expect(rows[0]?.after).toMatchObject({ id: 0, note: 'row 0' });
    expect(String(rows[0]?.after?.at)).toContain('2026-12-06');
  }, 60_000);
});
