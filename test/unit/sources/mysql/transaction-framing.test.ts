import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FramingEvent } from '../../../../src/sources/mysql/binlog-events.js';
import { gtidPositionReached } from '../../../../src/sources/mysql/gtid-position.js';
import { BinlogFramingError, TransactionFramer, type BinlogPosition, type FramedItem, type FramedRow } from '../../../../src/sources/mysql/transaction-framing.js';

/** A row as the fixtures keep it: the table, the operation and its images. */
interface FixtureRow {
  readonly table: string;
  readonly op: 'c' | 'u' | 'd';
  readonly image: Record<string, unknown>;
}

type RecordedEvent = FramingEvent & { readonly images?: unknown[] };

interface Fixture {
  readonly case: string;
  readonly committed: Record<string, Array<Record<string, unknown>>>;
  readonly events: RecordedEvent[];
}

const FIXTURES = new URL('../../../fixtures/binlog-framing/', import.meta.url);
const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Fixture);

function rowsOf(event: RecordedEvent): FixtureRow[] | undefined {
  if (event.type !== 'rows') return undefined;
  return (event.images ?? []).map((image) => ({ table: event.table, op: event.op, image: (event.op === 'u' ? (image as { after: Record<string, unknown> }).after : image) as Record<string, unknown> }));
}

function feed(framer: TransactionFramer<FixtureRow>, events: readonly RecordedEvent[]): Array<FramedItem<FixtureRow>> {
  return events.flatMap((event) => framer.push(event, rowsOf(event)));
}

/** The tables as the delivered row changes leave them (keyed by id). */
function applyRows(items: ReadonlyArray<FramedItem<FixtureRow>>): Record<string, Array<Record<string, unknown>>> {
  const tables = new Map<string, Map<unknown, Record<string, unknown>>>();
  for (const item of items) {
    if (item.kind !== 'row') continue;
    const table = tables.get(item.row.table) ?? new Map<unknown, Record<string, unknown>>();
    tables.set(item.row.table, table);
    if (item.row.op === 'd') table.delete(item.row.image.id);
    else table.set(item.row.image.id, item.row.image);
  }
  const result: Record<string, Array<Record<string, unknown>>> = {};
  for (const name of ['t', 'n', 'm']) result[name] = [...(tables.get(name)?.values() ?? [])].sort((a, b) => Number(a.id) - Number(b.id));
  return result;
}

/** The position before the first group of each domain in the fixture (where the recording started). */
function startOf(events: readonly RecordedEvent[]): BinlogPosition {
  const firsts = new Map<string, string>();
  for (const event of events) {
    if (event.type !== 'gtid' || event.gtid === null) continue;
    const [domain, server, sequence] = event.gtid.split('-');
    if (!firsts.has(domain)) firsts.set(domain, `${domain}-${server}-${Number(sequence) - 1}`);
  }
  return { gtidPosition: [...firsts.values()].join(',') };
}

/** What the server sends to a replica connecting at `position`: the groups it does not cover. */
function serverSends(events: readonly RecordedEvent[], position: string): RecordedEvent[] {
  const sent: RecordedEvent[] = [];
  let sending = false;
  for (const event of events) {
    if (event.type === 'gtid') sending = event.gtid === null || !gtidPositionReached(position, event.gtid);
    if (sending || event.type === 'rotate') sent.push(event);
  }
  return sent;
}

const delivered = (items: ReadonlyArray<FramedItem<FixtureRow>>): Array<FramedRow<FixtureRow>> => items.filter((item): item is FramedRow<FixtureRow> => item.kind === 'row');
const describeRows = (rows: ReadonlyArray<FramedRow<FixtureRow>>): string[] => rows.map((row) => `${row.gtid}#${row.index}:${row.row.table}.${row.row.op}${JSON.stringify(row.row.image)}`);

describe('TransactionFramer on transactions recorded from MariaDB 10.11', () => {
  it('has a fixture for every recorded case', () => {
    expect(fixtures.map((fixture) => fixture.case).sort()).toEqual(['ddl', 'mixed', 'multi_domain', 'nontransactional', 'rollback_mixed', 'rotation_and_empty', 'savepoint_rollback_mixed', 'savepoints', 'xa']);
  });

  for (const fixture of fixtures) {
    it(`${fixture.case}: delivers exactly what the server committed`, () => {
      const items = feed(new TransactionFramer(startOf(fixture.events)), fixture.events);
      // rows logged before an ALTER TABLE ADD COLUMN lack the new column: compare the columns all have
      const idAndValue = (tables: Record<string, Array<Record<string, unknown>>>): Record<string, unknown[]> =>
        Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.map((row) => [row.id, row.v])]));
      expect(idAndValue(applyRows(items))).toEqual(idAndValue(fixture.committed));
    });

    it(`${fixture.case}: a restart after any delivered item neither misses nor repeats a row`, () => {
      const start = startOf(fixture.events);
      const all = feed(new TransactionFramer(start), fixture.events);
      for (let cut = 0; cut < all.length; cut += 1) {
        const position = all[cut].position;
        const resumed = feed(new TransactionFramer(position), serverSends(fixture.events, TransactionFramer.readFrom(position)));
        expect(describeRows([...delivered(all.slice(0, cut + 1)), ...delivered(resumed)]), `restart after item ${cut}`).toEqual(describeRows(delivered(all)));
      }
    });
  }

  it('savepoints: the issue\'s transactions lose no row (2, 3, 6, 8, 9, 10 and the update of 2)', () => {
    const fixture = fixtures.find((candidate) => candidate.case === 'savepoints')!;
    const rows = delivered(feed(new TransactionFramer(startOf(fixture.events)), fixture.events));
    expect(rows.map((row) => `${row.row.op}${String(row.row.image.id)}`)).toEqual(['c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8', 'c9', 'c10', 'u1', 'u2']);
  });

  it('xa: holds the position before a prepared XA transaction until it commits', () => {
    const fixture = fixtures.find((candidate) => candidate.case === 'xa')!;
    const items = feed(new TransactionFramer(startOf(fixture.events)), fixture.events);
    const marks = items.filter((item) => item.kind === 'mark').map((item) => item.position);
    const first = fixture.events.find((event) => event.type === 'gtid')!;
    // x1 prepared in the first group holds the position before it until its commit (the next group)
    expect(marks[0]).toEqual({ gtidPosition: first.gtid, heldFrom: startOf(fixture.events).gtidPosition });
    expect(marks[1]?.heldFrom).toBeUndefined();
    expect(marks.at(-1)?.heldFrom).toBeUndefined();
  });
});

describe('TransactionFramer on MySQL framing (sequences from the MySQL 8.4 reference manual)', () => {
  const row = (id: number): FixtureRow => ({ table: 't', op: 'c', image: { id } });
  const gtid = (n: number): FramingEvent => ({ type: 'gtid', gtid: `3e11fa47-71ca-11e1-9e33-c80aa9429562:${n}`, standalone: false, transactional: false, ddl: false, xaPrepare: false });
  const query = (statement: string): FramingEvent => ({ type: 'query', statement, schema: 'db' });
  const rows = (count: number): FramingEvent => ({ type: 'rows', op: 'c', db: 'db', table: 't', count });
  const start = { gtidPosition: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9' };

  function run(events: ReadonlyArray<[FramingEvent, FixtureRow[]?]>, from: BinlogPosition = start): Array<FramedItem<FixtureRow>> {
    const framer = new TransactionFramer<FixtureRow>(from);
    return events.flatMap(([event, payload]) => framer.push(event, payload));
  }

  it('BEGIN ... SAVEPOINT ... XID keeps every row and completes the GTID', () => {
    const items = run([[gtid(10)], [query('BEGIN')], [rows(1), [row(1)]], [query('SAVEPOINT `a`')], [rows(1), [row(2)]], [{ type: 'xid' }]]);
    expect(delivered(items).map((item) => item.row.image.id)).toEqual([1, 2]);
    expect(items.at(-1)?.position.gtidPosition).toBe('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10');
  });

  it('a DDL group (GTID then the statement) ends at its statement and names its schema', () => {
    const items = run([[gtid(10)], [query('ALTER TABLE t ADD COLUMN x INT')], [gtid(11)], [query('BEGIN')], [rows(1), [row(1)]], [{ type: 'xid' }]]);
    expect(items[0]).toMatchObject({ kind: 'mark', ddlSchema: 'db' });
    expect(delivered(items).map((item) => item.row.image.id)).toEqual([1]);
  });

  it('CREATE TABLE ... SELECT (8.0.21+: BEGIN, the DDL, rows, XID) delivers its rows', () => {
    const items = run([[gtid(10)], [query('BEGIN')], [query('CREATE TABLE c (id INT) START TRANSACTION')], [rows(2), [row(1), row(2)]], [{ type: 'xid' }]]);
    expect(delivered(items).map((item) => item.row.image.id)).toEqual([1, 2]);
    expect(items.at(-1)).toMatchObject({ kind: 'mark', ddlSchema: 'db' });
  });

  it('XA: prepare then commit in another group, one-phase commit, and XA ROLLBACK', () => {
    const items = run([
      [gtid(10)], [query("XA START X'7831',X'',1")], [rows(1), [row(1)]], [query("XA END X'7831',X'',1")], [{ type: 'xaprepare' }],
      [gtid(11)], [query('BEGIN')], [rows(1), [row(5)]], [{ type: 'xid' }],
      [gtid(12)], [query("XA COMMIT X'7831',X'',1")],
      [gtid(13)], [query("XA START X'7832',X'',1")], [rows(1), [row(2)]], [query("XA END X'7832',X'',1")], [query("XA COMMIT X'7832',X'',1 ONE PHASE")],
      [gtid(14)], [query("XA START X'7833',X'',1")], [rows(1), [row(3)]], [query("XA END X'7833',X'',1")], [{ type: 'xaprepare' }],
      [gtid(15)], [query("XA ROLLBACK X'7833',X'',1")],
    ]);
    expect(delivered(items).map((item) => `${item.gtid.split(':')[1]}:${String(item.row.image.id)}`)).toEqual(['11:5', '12:1', '13:2']);
    expect(items.at(-1)?.position).toEqual({ gtidPosition: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-15' });
  });

  it('an anonymous transaction ending with ROLLBACK (non-transactional changes) delivers nothing', () => {
    const anonymous: FramingEvent = { type: 'gtid', gtid: null, standalone: false, transactional: false, ddl: false, xaPrepare: false };
    const items = run([[anonymous], [query('BEGIN')], [rows(1), [row(1)]], [query('ROLLBACK')], [anonymous], [query('BEGIN')], [rows(1), [row(2)]], [query('COMMIT')]]);
    expect(delivered(items).map((item) => item.row.image.id)).toEqual([2]);
  });

  it('heartbeats and rotations inside a transaction change nothing', () => {
    const items = run([[gtid(10)], [query('BEGIN')], [rows(1), [row(1)]], [{ type: 'heartbeat' }], [{ type: 'rotate', file: 'binlog.000002' }], [rows(1), [row(2)]], [{ type: 'xid' }]]);
    expect(delivered(items).map((item) => item.row.image.id)).toEqual([1, 2]);
  });

  it('stops with a framing error when a transactional group rolls back to a savepoint it delivered rows after', () => {
    const framer = new TransactionFramer<FixtureRow>({ gtidPosition: '0-1-1' });
    framer.push({ type: 'gtid', gtid: '0-1-2', standalone: false, transactional: true, ddl: false, xaPrepare: false });
    framer.push(query('SAVEPOINT `a`'));
    framer.push(rows(1), [row(1)]);
    expect(() => framer.push(query('ROLLBACK TO `a`'))).toThrow(BinlogFramingError);
  });

  it('stops with a framing error on a rollback to a savepoint never set', () => {
    const framer = new TransactionFramer<FixtureRow>({ gtidPosition: '0-1-1' });
    framer.push({ type: 'gtid', gtid: '0-1-2', standalone: false, transactional: false, ddl: false, xaPrepare: false });
    expect(() => framer.push(query('ROLLBACK TO `zz`'))).toThrow(/never set/);
  });
});
