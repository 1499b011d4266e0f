/**
 * CPU cost of the producing layer's per-row work, without MariaDB or Kafka: Avro-encodes and keys
 * N change events shaped like bench/capture-rate.ts's rows (INT id, VARCHAR, DECIMAL(10,2),
 * DATETIME(3)), keys and partitions them, and prints CPU microseconds per row (the partitioner
 * lines include changeKey). Usage: npx tsx bench/encode-rate.ts [rows]
 */
import { Partitioners } from 'kafkajs';
import type { ChangeEvent } from '../src/model/change-event.js';
import { parseColumnType } from '../src/sources/mysql/column-definition.js';
import { encodeChangeEvent, writerSchema } from '../src/streams/avro/change-event-codec.js';
import { changeKey } from '../src/streams/change-writer.js';
import { KeyHashPartitioner } from '../src/streams/key-partitioner.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const columns = [parseColumnType('id', 'int(11)'), parseColumnType('name', 'varchar(40)'), parseColumnType('price', 'decimal(10,2)'), parseColumnType('updated', 'datetime(3)')];
const schema = writerSchema('bench', 'db', 'item', columns);

const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

function event(id: number): ChangeEvent {
  return {
    op: 'c',
    before: null,
    after: { id, name: `item ${id}`, price: (id / 100).toFixed(2), updated: '2026-12-01 05:10:49.123' },
    source: { version: '1', connector: 'mysql', name: 'bench', tsMs: 1_764_565_849_000, snapshot: 'false', db: 'db', table: 'item', serverId: 1, gtid: '0-1-70188', file: null, pos: null, row: id % 1000 },
    tsMs: 1_764_565_849_123,
    transaction: { id: '0-1-70188', totalOrder: id },
  };
}

function run(label: string, work: (change: ChangeEvent) => unknown): void {
  const events = Array.from({ length: ROWS }, (_, index) => event(index + 1));
  let bytes = 0;
  const before = process.cpuUsage();
  for (const change of events) {
    const out = work(change);
    bytes += typeof out === 'string' || Buffer.isBuffer(out) ? out.length : 0;
  }
  const cpu = process.cpuUsage(before);
  process.stdout.write(`${label}: ${((cpu.user + cpu.system) / ROWS).toFixed(2)} µs CPU per row (${bytes} bytes)\n`);
}

for (let pass = 0; pass < 3; pass += 1) {
  run('encodeChangeEvent', (change) => encodeChangeEvent(schema, change));
  run('changeKey', (change) => changeKey(['id'], change.after));
  for (const [label, partitioner] of [['kafkajs DefaultPartitioner', Partitioners.DefaultPartitioner()], ['KeyHashPartitioner', KeyHashPartitioner()]] as const) {
    run(label, (change) => partitioner({ topic: 't', partitionMetadata, message: { key: changeKey(['id'], change.after), value: null } }));
  }
}
