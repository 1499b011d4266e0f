import type { AnyBinlogEvent } from '@vlasky/zongji';

/**
 * The binlog events that frame transactions, reduced from zongji's events to what framing needs.
 * MariaDB's GTID event carries the group's flags; MySQL's GTID event carries none (and an anonymous
 * transaction has no GTID at all).
 */
export type FramingEvent =
  | {
      readonly type: 'gtid';
      /** `domain-server-sequence` (MariaDB), `uuid:n` (MySQL), null for an anonymous MySQL transaction. */
      readonly gtid: string | null;
      /** MariaDB: a group with no BEGIN and no terminating commit event (a DDL statement). */
      readonly standalone: boolean;
      /** MariaDB: every change of the group is in a transactional engine (it ends with an XID event). */
      readonly transactional: boolean;
      readonly ddl: boolean;
      /** MariaDB: the group prepares an XA transaction (it ends with an XA PREPARE event). */
      readonly xaPrepare: boolean;
    }
  | { readonly type: 'query'; readonly statement: string; readonly schema: string }
  | { readonly type: 'rows'; readonly op: 'c' | 'u' | 'd'; readonly db: string; readonly table: string; readonly count: number }
  | { readonly type: 'xid' }
  | { readonly type: 'xaprepare' }
  | { readonly type: 'rotate'; readonly file: string }
  | { readonly type: 'heartbeat' };

/** The zongji event names {@link framingEventOf} understands (for zongji's `includeEvents`). */
export const FRAMING_EVENT_NAMES = ['mariadbgtid', 'gtid', 'anonymousgtid', 'query', 'xid', 'xaprepare', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'rotate', 'heartbeat'];

const ROW_OPERATIONS = { writerows: 'c', updaterows: 'u', deleterows: 'd' } as const;

/** The framing view of a zongji event; undefined for events framing does not need (table maps, formats). */
export function framingEventOf(event: AnyBinlogEvent): FramingEvent | undefined {
  switch (event.getEventName()) {
    case 'mariadbgtid': {
      const gtid = event as Extract<AnyBinlogEvent, { getEventName(): 'mariadbgtid' }>;
      return { type: 'gtid', gtid: gtid.gtid, standalone: gtid.standalone, transactional: gtid.transactional, ddl: gtid.isDdl, xaPrepare: gtid.preparedXa };
    }
    case 'gtid':
      return { type: 'gtid', gtid: event.gtid ?? null, standalone: false, transactional: false, ddl: false, xaPrepare: false };
    case 'anonymousgtid':
      return { type: 'gtid', gtid: null, standalone: false, transactional: false, ddl: false, xaPrepare: false };
    case 'query': {
      const query = event as Extract<AnyBinlogEvent, { getEventName(): 'query' }>;
      return { type: 'query', statement: query.query.trim(), schema: query.schema ?? '' };
    }
    case 'xid':
      return { type: 'xid' };
    case 'xaprepare':
      return { type: 'xaprepare' };
    case 'rotate':
      return { type: 'rotate', file: (event as Extract<AnyBinlogEvent, { getEventName(): 'rotate' }>).binlogName };
    case 'heartbeat':
      return { type: 'heartbeat' };
    case 'writerows':
    case 'updaterows':
    case 'deleterows': {
      const rows = event as Extract<AnyBinlogEvent, { getEventName(): 'writerows' | 'updaterows' | 'deleterows' }>;
      const table = rows.tableMap[rows.tableId];
      return { type: 'rows', op: ROW_OPERATIONS[event.getEventName() as keyof typeof ROW_OPERATIONS], db: table?.parentSchema ?? '', table: table?.tableName ?? '', count: rows.rows.length };
    }
    default:
      return undefined;
  }
}
