/**
 * Capture throughput against its raw ceiling, measured in the same run on the same binlog:
 * 1. writes ROWS rows (in transactions of TX_ROWS) into a fresh database of the local stack;
 * 2. raw ceiling: zongji reads that binlog range and counts the row events, nothing else;
 * 3. sluice: a MysqlCapture streams the same range into Kafka (Avro, acks=all, positions saved).
 * Prints rows/s of both and their ratio. Usage: [TX_ROWS=1000] npx tsx bench/capture-rate.ts [rows]
 */
import { logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { pino } from 'pino';
import { endpointsFromEnvironment } from '../src/config/endpoints.js';
import { mysqlConnectionOptions } from '../src/sources/mysql/connection-options.js';
import { gtidPositionReached } from '../src/sources/mysql/gtid-position.js';
import { createKafka } from '../src/streams/kafka-client.js';
import { MysqlCapture } from '../src/pipeline/mysql-capture.js';
import { createStackContext, stackUp } from '../stack/stack.js';
import { gtidPosition, rawZongjiRead, seedCapturePosition } from './lib/binlog.js';
import { KafkaWatch } from './lib/progress.js';

const ROWS = Number(process.argv[2] ?? 200_000);
/** Topic prefix and pipeline name of this run's capture (its topics are deleted at the end). */
const PREFIX = `bench-${Date.now()}`;
/** Rows per transaction of the write (TX_ROWS=1: one row per transaction, as an OLTP application commits them). */
const TX_ROWS = Number(process.env.TX_ROWS ?? 1_000);
if (!Number.isInteger(TX_ROWS) || TX_ROWS < 1) {
  process.stderr.write(`TX_ROWS must be a whole number of rows per transaction, at least 1 (got ${process.env.TX_ROWS ?? ''}), e.g. TX_ROWS=1\n`);
  process.exit(2);
}
/** Rows per window of the per-window rates printed after the capture. */
const WINDOW = Number(process.env.WINDOW ?? 50_000);
/** Replication server ids of this run (two per process, so concurrent runs of this bench do not collide). */
const SERVER_ID = 900_000 + (process.pid % 40_000) * 2;
const endpoints = endpointsFromEnvironment();

async function main(): Promise<void> {
  await stackUp(createStackContext());
  const options = mysqlConnectionOptions(endpoints.mysqlUrl);
  const sql = await createConnection(options);
  const db = `bench_capture_${Date.now()}`;
  await sql.query(`CREATE DATABASE ${db}`);
  await sql.query(`CREATE TABLE ${db}.item (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), updated DATETIME(3))`);
  const start = await gtidPosition(sql);
  for (let first = 1; first <= ROWS; first += TX_ROWS) {
    await sql.query(`INSERT INTO ${db}.item SELECT seq, CONCAT('item ', seq), seq / 100, NOW(3) FROM ${db}.seq_${first}_to_${Math.min(ROWS, first + TX_ROWS - 1)}`);
  }
  const end = await gtidPosition(sql);
  process.stdout.write(`wrote ${ROWS} rows (${ROWS / TX_ROWS} transactions), binlog ${start} -> ${end}\n`);

  const raw = (await rawZongjiRead(options, db, start, ROWS, SERVER_ID + 1)).rowsPerSecond;
  const captured = await sluiceCaptureRate(options, db, start, end);
  process.stdout.write(
    [
      '',
      '| measure | rows/s |',
      '| --- | --- |',
      `| raw zongji read (ceiling) | ${raw.toFixed(0)} |`,
      `| sluice capture into Kafka | ${captured.toFixed(0)} |`,
      `| ratio | ${((captured / raw) * 100).toFixed(1)} % |`,
      '',
    ].join('\n'),
  );
  await sql.query(`DROP DATABASE ${db}`);
  await sql.end();
  const watch = new KafkaWatch(createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench', logLevel: logLevel.NOTHING }));
  await watch.connect();
  await watch.deleteWithPrefix(PREFIX);
  await watch.disconnect();
}

async function sluiceCaptureRate(options: ReturnType<typeof mysqlConnectionOptions>, db: string, start: string, end: string): Promise<number> {
  const prefix = PREFIX;
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench', logLevel: logLevel.NOTHING });
  const capture = new MysqlCapture(kafka, {
    pipeline: prefix, topicPrefix: prefix, partitions: 3, replicationFactor: 1, connection: options, serverId: SERVER_ID + 2,
    databases: [db], filter: () => true, snapshot: { mode: 'never', pageSize: 1_000 },
    batch: { maxMessages: Number(process.env.BATCH ?? 1_000), maxDelayMs: 20 }, positionIntervalMs: 1_000, logger: pino({ level: 'warn' }),
  });
  // start streaming from `start` without a snapshot: seed the saved position
  await seedCapturePosition(kafka, prefix, start);

  const controller = new AbortController();
  const began = performance.now();
  const cpuBefore = process.cpuUsage();
  const running = capture.run(controller.signal);
  const windows: string[] = [];
  let window = { rows: 0, at: began, cpu: cpuBefore.user + cpuBefore.system };
  // every domain of `end` reached (comparing one sequence number never ended once the server had a second domain)
  while (capture.stats.lastSaved === undefined || !gtidPositionReached(capture.stats.lastSaved.gtidPosition, end) || capture.stats.streamedRows < ROWS) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    // rows/s and CPU per 100k rows per window of WINDOW rows: where does a long backlog slow down?
    if (capture.stats.streamedRows >= window.rows + WINDOW) {
      const now = performance.now();
      const used = process.cpuUsage();
      const rows = capture.stats.streamedRows - window.rows;
      const cpuWindow = (used.user + used.system - window.cpu) / 1e6;
      windows.push(`${window.rows}-${capture.stats.streamedRows}: ${(rows / ((now - window.at) / 1000)).toFixed(0)} rows/s, ${((cpuWindow / rows) * 100_000).toFixed(2)} s CPU per 100k rows, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, max pending ${capture.stats.maxPending}`);
      window = { rows: capture.stats.streamedRows, at: now, cpu: used.user + used.system };
    }
  }
  process.stdout.write(`${windows.map((line) => `  rows ${line}`).join('\n')}\n`);
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`sluice process CPU during capture: ${((cpuSeconds / seconds) * 100).toFixed(0)} % of one core over ${seconds.toFixed(1)} s, ${capture.stats.batches} batches\n`);
  process.stdout.write(`capture CPU: ${((cpuSeconds / capture.stats.streamedRows) * 100_000).toFixed(2)} s per 100k rows (window ${(began / 1000).toFixed(1)}-${(began / 1000 + seconds).toFixed(1)} s after process start, for --cpu-prof)\n`);
  controller.abort();
  await running;
  return capture.stats.streamedRows / seconds;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
