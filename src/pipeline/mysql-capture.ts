import type { Kafka } from 'kafkajs';
import type { BinlogPosition } from '../sources/mysql/binlog-reader.js';
import { MysqlSource, type MysqlSourceSettings } from '../sources/mysql/mysql-source.js';
import { SourceCapture, type CaptureSettings, type CaptureStats, type SavedCapturePosition as SavedPosition } from './source-capture.js';

/** Settings of a {@link MysqlCapture}: the runner's and the MySQL source's. */
export type MysqlCaptureSettings = CaptureSettings & MysqlSourceSettings;

/** The position a MySQL capture saves: the runner's fields and the binlog position. */
export type SavedCapturePosition = SavedPosition & BinlogPosition;

/** The capture runner over a MySQL/MariaDB source: the binlog into Kafka. */
export class MysqlCapture extends SourceCapture<BinlogPosition> {
  declare readonly stats: CaptureStats & { lastSaved: SavedCapturePosition | undefined };

  constructor(kafka: Kafka, settings: MysqlCaptureSettings) {
    super(kafka, settings, new MysqlSource(settings));
  }
}

/** The capture of `settings`, for runCaptureUntilStopped. */
export function mysqlCapture(kafka: Kafka): (settings: MysqlCaptureSettings) => MysqlCapture {
  return (settings) => new MysqlCapture(kafka, settings);
}
