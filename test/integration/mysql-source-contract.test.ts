import { afterEach } from 'vitest';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { MysqlSource } from '../../src/sources/mysql/mysql-source.js';
import { describeSourceContract } from '../contract/source-contract.js';
import { Cleanup, createTestDatabase, endpoints, openMysql } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describeSourceContract(
  'MySQL/MariaDB',
  async (testCleanup) => {
    const db = await createTestDatabase(testCleanup, 'contract');
    const sql = await openMysql(testCleanup, db);
    await sql.query('CREATE TABLE items (id INT PRIMARY KEY, v INT)');
    return {
      db,
      createSource: () =>
        new MysqlSource({
          pipeline: db,
          connection: mysqlConnectionOptions(endpoints.mysqlUrl),
          serverId: 700_000 + Math.floor(Math.random() * 1_000_000),
          databases: [db],
          filter: (database) => database === db,
          snapshot: {},
        }),
      execute: async (changes) => {
        await sql.beginTransaction();
        for (const change of changes) {
          if (change.op === 'insert') await sql.query('INSERT INTO items (id, v) VALUES (?, ?)', [change.id, change.v]);
          else if (change.op === 'update') await sql.query('UPDATE items SET v = ? WHERE id = ?', [change.v, change.id]);
          else await sql.query('DELETE FROM items WHERE id = ?', [change.id]);
        }
        await sql.commit();
      },
    };
  },
  cleanup,
);
