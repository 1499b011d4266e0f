import { SluiceError } from '../../errors.js';
import type { FramingEvent } from './binlog-events.js';
import { advanceGtidPosition, gtidPositionReached } from './gtid-position.js';

/**
 * Where a binlog reader resumes: the GTID position of every completed transaction, plus, when a
 * transaction was cut in the middle, how many of its row changes are already done.
 */
export interface BinlogPosition {
  readonly gtidPosition: string;
  readonly inTransaction?: { readonly gtid: string; readonly rowsDone: number };
  /**
   * Set while an XA transaction is prepared but not yet committed or rolled back: the position to
   * read from so that its rows (logged at XA PREPARE) are seen again. Transactions between it and
   * `gtidPosition` are read again but not delivered again.
   */
  readonly heldFrom?: string;
}

/** A committed row change, in commit order, with the position to save once it is acknowledged. */
export interface FramedRow<R> {
  readonly kind: 'row';
  readonly row: R;
  /** The GTID of the group that committed the row (for XA: the XA COMMIT's group). */
  readonly gtid: string;
  /** 0-based index of the row among the committed rows of its transaction. */
  readonly index: number;
  readonly position: BinlogPosition;
}

/** A point with no row to deliver: a transaction completed (or was dropped), a DDL ran. */
export interface FramedMark {
  readonly kind: 'mark';
  readonly position: BinlogPosition;
  /** Set when the group ran DDL: the statement's schema, so table caches can be refreshed. */
  readonly ddlSchema?: string;
}

export type FramedItem<R> = FramedRow<R> | FramedMark;

/**
 * How a group is delivered: `eager` rows go out as they are read (nothing can take them back),
 * `buffered` rows wait for the group's end (a ROLLBACK TO or an XA ROLLBACK may still discard them).
 */
type Delivery = 'eager' | 'buffered';

interface Savepoint {
  readonly name: string;
  readonly rows: number;
}

interface OpenGroup<R> {
  readonly gtid: string;
  /** Undecided (`undefined`) for a MySQL group until its first statement says BEGIN or DDL. */
  standalone: boolean | undefined;
  delivery: Delivery;
  /** The position before this group (what a pending XA transaction holds). */
  readonly positionBefore: string;
  /** The rows of a buffered group; `undefined` entries stand for rows of tables not captured. */
  readonly rows: Array<R | undefined>;
  /** Rows read so far in an eager group. */
  eagerRows: number;
  /** Rows to skip: delivered before a restart, or the whole group when it was completed before. */
  readonly skip: number;
  readonly savepoints: Savepoint[];
  ddlSchema: string | undefined;
  /** The XA transaction this group prepares (from its XA START / XA END statement). */
  xid: string | undefined;
}

interface PreparedXa<R> {
  readonly rows: ReadonlyArray<R | undefined>;
  readonly positionBefore: string;
}

/** The framing broke an invariant of the binlog format: stop rather than deliver a guess. */
export class BinlogFramingError extends SluiceError {}

const XA_STATEMENT = /^XA\s+(START|BEGIN|END|PREPARE|COMMIT|ROLLBACK)\s+(.*?)(\s+(ONE\s+PHASE|SUSPEND(\s+FOR\s+MIGRATE)?|JOIN|RESUME))?\s*$/i;
const SAVEPOINT = /^SAVEPOINT\s+(.+)$/i;
const ROLLBACK_TO = /^ROLLBACK\s+(WORK\s+)?TO\s+(SAVEPOINT\s+)?(.+)$/i;
const RELEASE = /^RELEASE\s+SAVEPOINT\s+(.+)$/i;

/**
 * Turns binlog events into committed row changes, exactly as the server committed them, for
 * MariaDB 10.6+ and MySQL 8.x (see docs in the README, "How transactions are read"):
 *
 * - a group starts at its GTID event; MariaDB flags it standalone (a DDL: it ends at its statement)
 *   or not (it ends at XID, COMMIT, ROLLBACK or XA PREPARE); on MySQL the first statement decides
 *   (BEGIN or XA START opens a transaction, anything else is a statement group of its own);
 * - SAVEPOINT, ROLLBACK TO SAVEPOINT, RELEASE SAVEPOINT, XA START/END and DDL inside a
 *   transaction (CREATE ... SELECT) never end it; ROLLBACK TO discards the rows logged after the
 *   savepoint (the server keeps them in the binlog when a non-transactional table changed);
 * - a group ending with ROLLBACK delivers nothing;
 * - the rows of an XA transaction are logged at XA PREPARE and delivered at XA COMMIT (dropped at
 *   XA ROLLBACK); while one is pending, positions carry `heldFrom` so a restart reads them again;
 * - heartbeats, rotations and unknown statements between groups change nothing.
 *
 * A restart from any position this class produced delivers no row twice and misses none.
 */
export class TransactionFramer<R> {
  private completed: string;
  /** The position of every group read so far, delivered or replayed (behind `completed` while replaying). */
  private readCursor: string;
  private group: OpenGroup<R> | undefined;
  private readonly prepared = new Map<string, PreparedXa<R>>();

  /** `start` is the position resumed from; the reading itself must begin at {@link readFrom}. */
  constructor(private readonly start: BinlogPosition) {
    this.completed = start.gtidPosition;
    this.readCursor = TransactionFramer.readFrom(start);
  }

  /** Where the binlog must be read from to resume at `start`. */
  static readFrom(start: BinlogPosition): string {
    return start.heldFrom ?? start.gtidPosition;
  }

  /**
   * Takes the next event in binlog order (`rows` holds one entry per row of a rows event,
   * `undefined` for tables not captured) and returns what it completes, in order.
   */
  push(event: FramingEvent, rows?: ReadonlyArray<R | undefined>): Array<FramedItem<R>> {
    switch (event.type) {
      case 'gtid':
        return this.openGroup(event);
      case 'rows':
        return this.addRows(rows ?? new Array<undefined>(event.count).fill(undefined));
      case 'query':
        return this.statement(event.statement, event.schema);
      case 'xid':
        return this.endGroup('commit', 'XID');
      case 'xaprepare':
        return this.endGroup('prepare', 'XA PREPARE');
      case 'rotate':
      case 'heartbeat':
        return [];
    }
  }

  /** True while a group is open (between its GTID event and its end). */
  get inGroup(): boolean {
    return this.group !== undefined;
  }

  private openGroup(event: Extract<FramingEvent, { type: 'gtid' }>): Array<FramedItem<R>> {
    if (this.group !== undefined) {
      throw new BinlogFramingError(`the binlog group ${this.group.gtid} has no end before the next group ${event.gtid ?? '(anonymous)'}`, {
        context: { gtid: this.group.gtid },
      });
    }
    const gtid = event.gtid ?? '';
    const replayed = gtid !== '' && this.start.heldFrom !== undefined && gtidPositionReached(this.start.gtidPosition, gtid);
    const resumed = this.start.inTransaction?.gtid === gtid && gtid !== '' ? this.start.inTransaction.rowsDone : 0;
    const mariaDb = event.standalone || event.transactional || event.ddl || event.xaPrepare || /^\d+-\d+-\d+$/.test(gtid);
    this.group = {
      gtid,
      standalone: mariaDb ? event.standalone : undefined,
      // MariaDB flags groups whose changes are all transactional; MySQL with GTIDs enforces that
      // (enforce_gtid_consistency); anonymous and non-transactional groups wait for their end
      delivery: !event.xaPrepare && !event.standalone && gtid !== '' && (event.transactional || !mariaDb) ? 'eager' : 'buffered',
      positionBefore: this.readCursor,
      rows: [],
      eagerRows: 0,
      skip: replayed ? Number.POSITIVE_INFINITY : resumed,
      savepoints: [],
      ddlSchema: undefined,
      xid: undefined,
    };
    return [];
  }

  private addRows(rows: ReadonlyArray<R | undefined>): Array<FramedItem<R>> {
    const group = this.group;
    // rows before the first GTID event of the stream belong to a group read only in part
    if (group === undefined) return [];
    if (group.standalone === undefined) group.standalone = false;
    if (group.delivery === 'buffered') {
      for (const row of rows) group.rows.push(row);
      return [];
    }
    const items: Array<FramedItem<R>> = [];
    // the completed position cannot change inside one rows event: computed once, not per row
    const completed = this.position();
    for (const row of rows) {
      const index = group.eagerRows;
      group.eagerRows += 1;
      if (row !== undefined && index >= group.skip) items.push(framedRow(row, group.gtid, index, completed));
    }
    return items;
  }

  private statement(statement: string, schema: string): Array<FramedItem<R>> {
    const group = this.group;
    if (group === undefined) return [];
    const upper = statement.toUpperCase();
    if (group.standalone === undefined) {
      if (upper === 'BEGIN' || /^XA\s+(START|BEGIN)\b/.test(upper)) {
        group.standalone = false;
        if (upper !== 'BEGIN') group.delivery = 'buffered';
        return this.xaStatement(statement) ?? [];
      }
      group.standalone = true;
    }
    if (group.standalone) return this.standaloneStatement(statement, schema);
    if (upper === 'BEGIN') return [];
    if (upper === 'COMMIT') return this.endGroup('commit', 'COMMIT');
    if (upper === 'ROLLBACK') return this.endGroup('rollback', 'ROLLBACK');
    const xa = this.xaStatement(statement);
    if (xa !== undefined) return xa;
    const savepoint = SAVEPOINT.exec(statement);
    if (savepoint !== null) {
      const name = savepointName(savepoint[1]);
      this.release(name);
      group.savepoints.push({ name, rows: this.rowsSoFar() });
      return [];
    }
    const rollbackTo = ROLLBACK_TO.exec(statement);
    if (rollbackTo !== null) return this.rollbackToSavepoint(savepointName(rollbackTo[3]), statement);
    const release = RELEASE.exec(statement);
    if (release !== null) {
      this.release(savepointName(release[1]));
      return [];
    }
    // DDL logged inside a transaction (CREATE TABLE ... SELECT): its rows follow, the group goes on
    group.ddlSchema = schema;
    return [];
  }

  /** A statement that is a group of its own: a DDL, an XA COMMIT or XA ROLLBACK of a prepared XA. */
  private standaloneStatement(statement: string, schema: string): Array<FramedItem<R>> {
    const xa = XA_STATEMENT.exec(statement);
    const verb = xa?.[1]?.toUpperCase();
    if (xa !== null && (verb === 'COMMIT' || verb === 'ROLLBACK')) {
      const xid = xa[2];
      const prepared = this.prepared.get(xid);
      this.prepared.delete(xid);
      if (verb === 'COMMIT' && prepared !== undefined) {
        // delivered under this group's GTID: a restart before it completes reads the prepare again
        const group = this.group!;
        group.delivery = 'buffered';
        group.rows.push(...prepared.rows);
      }
      return this.endGroup('commit', `XA ${verb}`);
    }
    this.group!.ddlSchema = schema;
    return this.endGroup('commit', 'DDL');
  }

  /** Handles XA START/END/COMMIT ... ONE PHASE inside a transaction; undefined for other statements. */
  private xaStatement(statement: string): Array<FramedItem<R>> | undefined {
    const xa = XA_STATEMENT.exec(statement);
    if (xa === null) return undefined;
    const group = this.group!;
    const verb = xa[1].toUpperCase();
    group.xid = xa[2]!;
    if (verb === 'COMMIT') return this.endGroup('commit', 'XA COMMIT ONE PHASE');
    if (verb === 'ROLLBACK') return this.endGroup('rollback', 'XA ROLLBACK');
    if (verb === 'PREPARE') return [];
    return [];
  }

  private rollbackToSavepoint(name: string, statement: string): Array<FramedItem<R>> {
    const group = this.group!;
    const index = group.savepoints.findIndex((savepoint) => savepoint.name === name);
    if (index < 0) {
      throw new BinlogFramingError(`the binlog group ${group.gtid} rolls back to savepoint ${name}, which it never set (${statement})`, {
        context: { gtid: group.gtid, statement },
      });
    }
    if (group.delivery === 'eager') {
      throw new BinlogFramingError(
        `the binlog group ${group.gtid} is flagged transactional, yet it logs "${statement}": rows already delivered may have been rolled back. ` +
          'This server logs transactions in a way sluice does not know; report it with the binlog of this GTID',
        { context: { gtid: group.gtid, statement } },
      );
    }
    group.rows.length = group.savepoints[index].rows;
    // the savepoint itself stays; the ones set after it are gone
    group.savepoints.length = index + 1;
    return [];
  }

  private release(name: string): void {
    const savepoints = this.group!.savepoints;
    const index = savepoints.findIndex((savepoint) => savepoint.name === name);
    if (index >= 0) savepoints.length = index;
  }

  private rowsSoFar(): number {
    const group = this.group!;
    return group.delivery === 'eager' ? group.eagerRows : group.rows.length;
  }

  private endGroup(outcome: 'commit' | 'rollback' | 'prepare', terminator: string): Array<FramedItem<R>> {
    const group = this.group;
    if (group === undefined) return [];
    this.group = undefined;
    const items: Array<FramedItem<R>> = [];
    if (outcome === 'prepare') {
      if (group.xid === undefined) {
        throw new BinlogFramingError(`the binlog group ${group.gtid} ends with XA PREPARE but names no XA transaction`, { context: { gtid: group.gtid } });
      }
      this.prepared.set(group.xid, { rows: group.rows, positionBefore: group.positionBefore });
    } else if (outcome === 'commit' && group.delivery === 'buffered') {
      const completed = this.position();
      group.rows.forEach((row, index) => {
        if (row !== undefined && index >= group.skip) items.push(framedRow(row, group.gtid, index, completed));
      });
    } else if (outcome === 'rollback' && group.delivery === 'eager' && group.eagerRows > 0) {
      throw new BinlogFramingError(`the binlog group ${group.gtid} is flagged transactional, yet it ends with ${terminator} after ${group.eagerRows} rows`, {
        context: { gtid: group.gtid },
      });
    }
    if (group.gtid !== '') {
      this.readCursor = advanceGtidPosition(this.readCursor, group.gtid);
      if (group.skip !== Number.POSITIVE_INFINITY) this.completed = advanceGtidPosition(this.completed, group.gtid);
    }
    items.push({ kind: 'mark', position: this.position(), ...(group.ddlSchema === undefined ? {} : { ddlSchema: group.ddlSchema }) });
    return items;
  }

  /** The position of everything completed so far, held back to the oldest prepared XA transaction. */
  private position(): BinlogPosition {
    // still replaying up to where the previous run stopped: prepares may lie ahead, keep holding
    let heldFrom = this.start.heldFrom !== undefined && !gtidPositionReached(this.readCursor, this.start.gtidPosition) ? this.start.heldFrom : undefined;
    if (heldFrom === undefined) {
      // the oldest prepared XA transaction (a Map iterates in insertion order)
      for (const prepared of this.prepared.values()) {
        heldFrom = prepared.positionBefore;
        break;
      }
    }
    return { gtidPosition: this.completed, ...(heldFrom === undefined ? {} : { heldFrom }) };
  }
}

/** A row delivered at `index` of its group, after everything in `completed` (the framer's position before the group ends). */
function framedRow<R>(row: R, gtid: string, index: number, completed: BinlogPosition): FramedRow<R> {
  const position: BinlogPosition =
    completed.heldFrom === undefined
      ? { gtidPosition: completed.gtidPosition, inTransaction: { gtid, rowsDone: index + 1 } }
      : { gtidPosition: completed.gtidPosition, heldFrom: completed.heldFrom, inTransaction: { gtid, rowsDone: index + 1 } };
  return { kind: 'row', row, gtid, index, position };
}

function savepointName(raw: string): string {
  return raw.trim().replace(/^`(.*)`$/s, '$1').replaceAll('``', '`').toLowerCase();
}
