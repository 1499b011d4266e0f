import type { Logger } from 'pino';
import type { SnapshotProgress, SnapshotProgressListener } from '../streams/snapshot-progress.js';
import { progressDisplay } from './progress-display.js';

/**
 * Shows the initial snapshot's progress on `stream`: one bar (rows of the estimated total, rate,
 * ETA, the table being read) on a terminal, else a `snapshot progress` line every `intervalMs`
 * with the per-table counts; and one `snapshot tables` summary line when it completes.
 */
export function snapshotProgressReporter(stream: NodeJS.WriteStream, logger: Logger, intervalMs = 10_000): SnapshotProgressListener {
  const display = progressDisplay(stream, logger, {
    format: 'snapshot [{bar}] {percentage}% | {value}/{total} rows (estimated) | {rate} rows/s | ETA {eta_formatted} | {table} ({tablesDone}/{tableCount} tables)',
    message: 'snapshot progress',
    intervalMs,
  });
  return (progress: SnapshotProgress) => {
    const current = progress.tables.find((table) => !table.done && table.rows > 0) ?? progress.tables.find((table) => !table.done);
    const tablesDone = progress.tables.filter((table) => table.done).length;
    display.update(progress.rows, Math.max(progress.estimatedRows, progress.rows), {
      table: current?.table ?? '-',
      tablesDone,
      tableCount: progress.tables.length,
      ...(stream.isTTY === true ? {} : { tables: progress.tables.map((table) => `${table.table} ${table.rows}/${table.estimatedRows ?? '?'}${table.done ? ' done' : ''}`).join(', ') }),
    });
    if (progress.completed) {
      display.stop();
      const seconds = Math.max((Date.now() - progress.startedAtMs) / 1000, 0.001);
      logger.info({ rows: progress.rows, seconds: Math.round(seconds), perSecond: Math.round(progress.rows / seconds), tables: Object.fromEntries(progress.tables.map((table) => [table.table, table.rows])) }, 'snapshot tables');
    }
  };
}
