/**
 * CPU cost of decoding fetched record batches, without Kafka: encodes record batches of N records
 * as kafkajs's producer does (500 records a batch, a 20-byte key and a 600-byte value each, the size
 * of the bench's shop change events), then decodes them the way kafkajs's fetch does, with kafkajs's
 * own record batch decoder and with sluice's (src/streams/kafkajs-record-decoder.ts), in alternating
 * rounds, and prints CPU microseconds per record of each (best round and median).
 * Usage: npx tsx bench/fetch-decode-rate.ts [records] [rounds]
 */
import { createRequire } from 'node:module';
import { fasterRecordBatchDecoder, kafkajsOwnRecordBatchDecoder, type DecoderInternals, type RecordBatchDecoder } from '../src/streams/kafkajs-record-decoder.js';

const RECORDS = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const RECORDS_PER_BATCH = 500;

const requireKafkajs = createRequire(import.meta.url);
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => DecoderInternals;
const Record = requireKafkajs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: Record<string, unknown>) => unknown;
const { RecordBatch } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};

/** One batch's bytes: records `first` on, stamped a few milliseconds apart. */
async function batch(first: number): Promise<Buffer> {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) =>
    Record({ offsetDelta: i, timestampDelta: i * 3, key: Buffer.from(`{"id":${first + i}}`.padEnd(20)), value: Buffer.alloc(600, 65 + (i % 26)), headers: {} }),
  );
  const firstTimestamp = 1_765_000_000_000 + first;
  const encoded = await RecordBatch({ firstOffset: first, firstTimestamp, maxTimestamp: firstTimestamp + RECORDS_PER_BATCH * 3, lastOffsetDelta: RECORDS_PER_BATCH - 1, records });
  return Buffer.from(encoded.buffer);
}

/** CPU microseconds per record to decode every batch of `fetched` with `decode`. */
async function decodeRound(decode: RecordBatchDecoder, fetched: Buffer): Promise<number> {
  const start = process.cpuUsage();
  const decoder = new Decoder(fetched);
  let records = 0;
  while (decoder.offset < fetched.length) records += (await decode(decoder)).records.length;
  const cpu = process.cpuUsage(start);
  if (records !== RECORDS) throw new Error(`decoded ${records} records, expected ${RECORDS}`);
  return (cpu.user + cpu.system) / records;
}

const batches: Buffer[] = [];
for (let first = 0; first < RECORDS; first += RECORDS_PER_BATCH) batches.push(await batch(first));
const fetched = Buffer.concat(batches);
const kafkajs = kafkajsOwnRecordBatchDecoder();
const decoders: ReadonlyArray<readonly [string, RecordBatchDecoder]> = [
  ['kafkajs', kafkajs],
  ['sluice', fasterRecordBatchDecoder(kafkajs)],
];
const rounds = new Map<string, number[]>(decoders.map(([label]) => [label, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [label, decode] of decoders) rounds.get(label)?.push(await decodeRound(decode, fetched));
}
for (const [label, micros] of rounds) {
  const sorted = [...micros].sort((a, b) => a - b);
  process.stdout.write(`${label}: best ${sorted[0]?.toFixed(2)} µs, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} µs CPU per record (${RECORDS} records, ${ROUNDS} rounds)\n`);
}
