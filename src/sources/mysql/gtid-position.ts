import { GtidSet } from '@vlasky/zongji';

/**
 * A MariaDB GTID position ("0-1-42,1-5-7": the last GTID per replication domain) as a map from
 * domain to GTID. Completing a transaction moves its domain's entry to the transaction's GTID.
 */
export function parseGtidPosition(text: string): Map<string, string> {
  const position = new Map<string, string>();
  for (const part of text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    position.set(domainOf(part), part);
  }
  return position;
}

/** Formats a position map as MariaDB expects it in @slave_connect_state (sorted by domain). */
export function formatGtidPosition(position: ReadonlyMap<string, string>): string {
  return [...position.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, gtid]) => gtid)
    .join(',');
}

/**
 * The position after the transaction `gtid` completed: on MariaDB the domain's entry moves to it;
 * on MySQL ('uuid:42') it joins the executed GTID set.
 */
export function advanceGtidPosition(positionText: string, gtid: string): string {
  if (!isMariaDbGtid(gtid)) {
    const set = GtidSet.parse(positionText);
    set.add(gtid);
    return set.toString();
  }
  const domain = domainOf(gtid);
  // one replication domain, the usual case, moves to the transaction's GTID: nothing to parse (same text as below)
  if (!positionText.includes(',')) {
    const current = positionText.trim();
    if (current === '' || domainOf(current) === domain) return gtid;
  }
  const position = parseGtidPosition(positionText);
  position.set(domain, gtid);
  return formatGtidPosition(position);
}

/** The replication domain of a MariaDB GTID ("0" of "0-1-42"). */
function domainOf(gtid: string): string {
  return gtid.split('-')[0] ?? '';
}

/** True for a MariaDB GTID ("domain-server-sequence"). */
export function isMariaDbGtid(gtid: string): boolean {
  return /^\d+-\d+-\d+$/.test(gtid);
}

/**
 * True when `current` includes every transaction of `target`. MariaDB positions: for each
 * replication domain of the target, the current position has reached its sequence number. MySQL
 * GTID sets: the current set contains both ends of every interval of the target (sets grow by
 * contiguous intervals per source, so the ends stand for the interval).
 */
export function gtidPositionReached(current: string, target: string): boolean {
  if (target.includes(':')) return mysqlSetReached(current, target);
  const currentPosition = parseGtidPosition(current);
  for (const [domain, gtid] of parseGtidPosition(target)) {
    const reached = currentPosition.get(domain);
    if (reached === undefined || sequenceOf(reached) < sequenceOf(gtid)) return false;
  }
  return true;
}

function sequenceOf(gtid: string): bigint {
  const sequence = gtid.split('-')[2] ?? '';
  return /^\d+$/.test(sequence) ? BigInt(sequence) : -1n;
}

function mysqlSetReached(current: string, target: string): boolean {
  let currentSet: GtidSet;
  try {
    currentSet = GtidSet.parse(current);
  } catch {
    return false;
  }
  for (const block of target.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const [uuid, ...intervals] = block.split(':');
    for (const interval of intervals.filter((part) => /^\d+(-\d+)?$/.test(part))) {
      const [first, last = first] = interval.split('-');
      if (!currentSet.contains(`${uuid}:${first}`) || !currentSet.contains(`${uuid}:${last}`)) return false;
    }
  }
  return true;
}
