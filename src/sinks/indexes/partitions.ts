/** How a partitioned index is split in time (UTC). */
export type PartitionInterval = 'daily' | 'monthly';

const DAY_MS = 86_400_000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** The start (ms, UTC) of the partition holding `ms`. */
export function partitionStart(interval: PartitionInterval, ms: number): number {
  const date = new Date(ms);
  return interval === 'daily' ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** The end (exclusive, ms) of the partition starting at `start`. */
export function partitionEnd(interval: PartitionInterval, start: number): number {
  if (interval === 'daily') return start + DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** `name-vN-yyyy.MM.dd` (daily) or `name-vN-yyyy.MM` (monthly) for the partition holding `ms`. */
export function partitionName(name: string, version: number, interval: PartitionInterval, ms: number): string {
  const date = new Date(partitionStart(interval, ms));
  const month = `${date.getUTCFullYear()}.${pad(date.getUTCMonth() + 1)}`;
  return `${name}-v${version}-${interval === 'daily' ? `${month}.${pad(date.getUTCDate())}` : month}`;
}

/** A partition index found in the engine. */
export interface Partition {
  readonly index: string;
  readonly version: number;
  readonly start: number;
  readonly end: number;
}

/** Reads a partition index name of `name` (any version); undefined for other indexes. */
export function parsePartition(name: string, interval: PartitionInterval, index: string): Partition | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = interval === 'daily' ? `^${escaped}-v(\\d+)-(\\d{4})\\.(\\d{2})\\.(\\d{2})$` : `^${escaped}-v(\\d+)-(\\d{4})\\.(\\d{2})$`;
  const match = new RegExp(pattern).exec(index);
  if (match === null) return undefined;
  const start = Date.UTC(Number(match[2]), Number(match[3]) - 1, interval === 'daily' ? Number(match[4]) : 1);
  return { index, version: Number(match[1]), start, end: partitionEnd(interval, start) };
}

/** The starts of every partition overlapping [from, to] (inclusive), oldest first. */
export function partitionStartsInRange(interval: PartitionInterval, from: number, to: number): number[] {
  const starts: number[] = [];
  for (let start = partitionStart(interval, from); start <= to; start = partitionEnd(interval, start)) starts.push(start);
  return starts;
}

/** True when every document a partition can hold is older than `maxAgeMs` at `now`. */
export function isExpired(partition: Pick<Partition, 'end'>, now: number, maxAgeMs: number): boolean {
  return partition.end <= now - maxAgeMs;
}

/** True when a partition holds documents of the last `windowMs` before `now`. */
export function inWindow(partition: Pick<Partition, 'start' | 'end'>, now: number, windowMs: number): boolean {
  return partition.end > now - windowMs && partition.start <= now;
}
