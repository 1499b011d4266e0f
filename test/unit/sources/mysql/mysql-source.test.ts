import { describe, expect, it } from 'vitest';
import { MysqlSource } from '../../../../src/sources/mysql/mysql-source.js';

const source = new MysqlSource({ pipeline: 'p', connection: { host: '127.0.0.1', port: 9 }, serverId: 1, databases: ['d'], filter: () => true, snapshot: {} });

describe('MysqlSource positions', () => {
  it('round-trips every field of a binlog position through the stored JSON', () => {
    const positions = [
      { gtidPosition: '0-1-5' },
      { gtidPosition: '0-1-5,1-2-9', inTransaction: { gtid: '0-1-6', rowsDone: 3 } },
      { gtidPosition: '0-1-7', heldFrom: '0-1-4' },
    ];
    for (const position of positions) expect(source.decodePosition(JSON.parse(JSON.stringify(source.encodePosition(position))) as Record<string, unknown>)).toEqual(position);
  });

  it('ignores the runner fields stored beside the position, and refuses an object without a GTID position', () => {
    expect(source.decodePosition({ version: 1, snapshotCompleted: true, savedAtMs: 5, incremental: { queue: ['d.t'] }, gtidPosition: '0-1-2' })).toEqual({ gtidPosition: '0-1-2' });
    expect(() => source.decodePosition({ version: 1 })).toThrow(/no gtidPosition/);
  });

  it('compares positions by GTID set: a stream reached a chunk when it emitted every transaction of it', () => {
    expect(source.reached({ gtidPosition: '0-1-10' }, { gtidPosition: '0-1-9' })).toBe(true);
    expect(source.reached({ gtidPosition: '0-1-8' }, { gtidPosition: '0-1-9' })).toBe(false);
  });

  it('needs open() before reading the catalog', async () => {
    await expect(source.readCatalog()).rejects.toThrow(/not open/);
  });
});
