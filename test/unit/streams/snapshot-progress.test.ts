import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TableInfo } from '../../../src/model/table.js';
import { snapshotProgressReporter } from '../../../src/pipeline/snapshot-progress-reporter.js';
import { SnapshotProgressTracker } from '../../../src/streams/snapshot-progress.js';

const table = (name: string): TableInfo => ({ db: 'shop', table: name, columns: [], primaryKey: ['id'] });
const items = table('items');
const orders = table('orders');

describe('SnapshotProgressTracker', () => {
  it('counts rows per table against the estimates, marking a table done when the next one starts', () => {
    const tracker = new SnapshotProgressTracker([items, orders], new Map([['shop.items', 100], ['shop.orders', 50]]));
    expect(tracker.progress()).toMatchObject({ rows: 0, estimatedRows: 150, completed: false });
    tracker.page(items, 60);
    tracker.page(items, 45);
    expect(tracker.progress()).toMatchObject({ rows: 105, estimatedRows: 155, tables: [{ table: 'shop.items', rows: 105, done: false }, { table: 'shop.orders', rows: 0, done: false }] });
    tracker.page(orders, 10);
    // items is done with 105 rows; orders still counts its estimate
    expect(tracker.progress()).toMatchObject({ rows: 115, estimatedRows: 155, tables: [{ done: true }, { rows: 10, done: false }] });
    tracker.complete();
    expect(tracker.progress()).toMatchObject({ rows: 115, estimatedRows: 115, completed: true, tables: [{ done: true }, { done: true }] });
  });

  it('works without estimates', () => {
    const tracker = new SnapshotProgressTracker([items], undefined);
    tracker.page(items, 3);
    expect(tracker.progress()).toMatchObject({ rows: 3, estimatedRows: 3, tables: [{ estimatedRows: undefined }] });
  });
});

describe('snapshotProgressReporter off a terminal', () => {
  it('writes structured progress lines with the per-table counts and a summary at the end', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
    const logger = pino({ level: 'info' }, sink);
    const report = snapshotProgressReporter({ isTTY: false } as NodeJS.WriteStream, logger, 0);
    const tracker = new SnapshotProgressTracker([items, orders], new Map([['shop.items', 4]]));
    tracker.page(items, 4);
    report(tracker.progress());
    tracker.complete();
    report(tracker.progress());
    expect(lines[0]).toMatchObject({ msg: 'snapshot progress', done: 4, total: 4, table: 'shop.items', tables: 'shop.items 4/4, shop.orders 0/?' });
    expect(lines.at(-1)).toMatchObject({ msg: 'snapshot tables', rows: 4, tables: { 'shop.items': 4, 'shop.orders': 0 } });
  });
});
