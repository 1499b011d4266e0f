/**
 * The binlog side of the benchmarks: GTID positions, the raw zongji read (the capture ceiling)
 * and seeding a capture's saved position so that `sluice source` starts streaming at a given
 * point without a snapshot.
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { Kafka } from 'kafkajs';
import type { ConnectionOptions } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import { ensureTopics } from '../../src/streams/ensure-topics.js';
import type { SavedCapturePosition } from '../../src/pipeline/mysql-capture.js';
import { PositionStore } from '../../src/streams/position-store.js';
import { positionTopic } from '../../src/streams/topic-names.js';

/** The GTID position of everything written so far (`@@gtid_binlog_pos`). */
export async function gtidPosition(sql: Connection): Promise<string> {
  const [rows] = await sql.query('SELECT @@gtid_binlog_pos AS gtid');
  return String((rows as Array<{ gtid: string }>)[0]?.gtid ?? '');
}

/** A raw read of a binlog range: how many row changes, and how fast. */
export interface RawRead {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);

/**
 * The capture ceiling: zongji reads the binlog from `start` and counts the row changes of `db`
 * (inserts, updates, deletes), doing nothing else with them, until it has seen `rows`. The clock
 * starts at the first row event, so connecting and locating the position are not counted.
 */
export function rawZongjiRead(options: ConnectionOptions, db: string, start: string, rows: number, serverId: number, timeoutMs = 300_000): Promise<RawRead> {
  return new Promise((resolve, reject) => {
    const zongji = new ZongJi({ ...options, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
    let seen = 0;
    let began = 0;
    const timer = setTimeout(() => {
      zongji.stop();
      reject(new Error(`zongji read ${seen} of ${rows} rows in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      if (!ROW_EVENTS.has(event.getEventName())) return;
      if (began === 0) began = performance.now();
      seen += (event as Extract<AnyBinlogEvent, { rows: unknown[] }>).rows.length;
      if (seen >= rows) {
        const seconds = (performance.now() - began) / 1000;
        clearTimeout(timer);
        zongji.stop();
        resolve({ rows: seen, seconds, rowsPerSecond: seen / seconds });
      }
    });
    zongji.on('error', (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
    zongji.start({ serverId, gtidSet: start, includeEvents: ['tablemap', ...ROW_EVENTS], includeSchema: { [db]: true } });
  });
}

/**
 * Saves `gtid` as the completed-snapshot position of the capture of `pipeline` (topic prefix =
 * pipeline), so `sluice source` resumes there: it streams the binlog from `gtid` and takes no snapshot.
 */
export async function seedCapturePosition(kafka: Kafka, pipeline: string, gtid: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: positionTopic(pipeline), partitions: 1, replicationFactor: 1, compacted: true }]);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    const position: SavedCapturePosition = { version: 1, gtidPosition: gtid, snapshotCompleted: true, savedAtMs: Date.now() };
    await new PositionStore<SavedCapturePosition>(kafka, positionTopic(pipeline)).save(producer, `mysql:${pipeline}`, position);
  } finally {
    await producer.disconnect();
  }
}

/** A replication server id for a zongji reader, unlikely to collide with another replica. */
export function randomServerId(): number {
  return 900_000 + Math.floor(Math.random() * 90_000);
}
