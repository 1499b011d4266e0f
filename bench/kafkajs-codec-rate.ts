/**
 * CPU cost of kafkajs's per-record encoding and decoding, without Kafka, kafkajs's own functions
 * against sluice's replacements, in alternating rounds; prints CPU microseconds per record of each
 * (best round and median):
 * - encoding: N records (a 20-byte key and a 600-byte value each, the size of the bench's shop
 *   change events) with kafkajs's record encoder and with sluice's (src/streams/kafkajs-record-encoder.ts);
 * - decoding: record batches of those records (500 a batch, as kafkajs's producer writes them),
 *   decoded the way kafkajs's fetch does, with kafkajs's record batch decoder and with sluice's
 *   (src/streams/kafkajs-record-decoder.ts).
 * Usage: npx tsx bench/kafkajs-codec-rate.ts [records] [rounds]
 */
import { createRequire } from 'node:module';
// kafkajs as sluice runs it: its encoder with fewer copies (kafkajs-encoder.ts), under both record encoders
import '../src/streams/kafka-client.js';
import { fasterRecordBatchDecoder, kafkajsOwnRecordBatchDecoder, type DecoderInternals, type RecordBatchDecoder } from '../src/streams/kafkajs-record-decoder.js';
import { fasterRecordEncoder, kafkajsOwnRecordEncoder, type RecordEncoder } from '../src/streams/kafkajs-record-encoder.js';

const RECORDS = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const RECORDS_PER_BATCH = 500;

const requireKafkajs = createRequire(import.meta.url);
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => DecoderInternals;
const kafkajsRecord = kafkajsOwnRecordEncoder();
const KEY = Buffer.from('{"id":12345}'.padEnd(20));
const VALUE = Buffer.alloc(600, 65);
const { RecordBatch } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};

/** One batch's bytes: records `first` on, stamped a few milliseconds apart. */
async function batch(first: number): Promise<Buffer> {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) =>
    kafkajsRecord({ offsetDelta: i, timestampDelta: i * 3, key: Buffer.from(`{"id":${first + i}}`.padEnd(20)), value: Buffer.alloc(600, 65 + (i % 26)), headers: {} }),
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

/** CPU microseconds per record to encode {@link RECORDS} records with `encode`. */
function encodeRound(encode: RecordEncoder): number {
  const start = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < RECORDS; i += 1) bytes += encode({ offsetDelta: i % RECORDS_PER_BATCH, timestampDelta: i * 3, key: KEY, value: VALUE, headers: {} }).size();
  const cpu = process.cpuUsage(start);
  if (bytes < RECORDS * VALUE.length) throw new Error(`encoded ${bytes} bytes, expected more than ${RECORDS * VALUE.length}`);
  return (cpu.user + cpu.system) / RECORDS;
}

/** The best and the median of `micros`, as a line. */
function summary(label: string, micros: readonly number[]): string {
  const sorted = [...micros].sort((a, b) => a - b);
  return `${label}: best ${sorted[0]?.toFixed(2)} µs, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} µs CPU per record (${RECORDS} records, ${ROUNDS} rounds)\n`;
}

const encoders: ReadonlyArray<readonly [string, RecordEncoder]> = [
  ['encoding, kafkajs', kafkajsRecord],
  ['encoding, sluice', fasterRecordEncoder(kafkajsRecord)],
];
const encodeRounds = new Map<string, number[]>(encoders.map(([label]) => [label, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [label, encode] of encoders) encodeRounds.get(label)?.push(encodeRound(encode));
}
for (const [label, micros] of encodeRounds) process.stdout.write(summary(label, micros));

const batches: Buffer[] = [];
for (let first = 0; first < RECORDS; first += RECORDS_PER_BATCH) batches.push(await batch(first));
const fetched = Buffer.concat(batches);
const kafkajs = kafkajsOwnRecordBatchDecoder();
const decoders: ReadonlyArray<readonly [string, RecordBatchDecoder]> = [
  ['decoding, kafkajs', kafkajs],
  ['decoding, sluice', fasterRecordBatchDecoder(kafkajs)],
];
const rounds = new Map<string, number[]>(decoders.map(([label]) => [label, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [label, decode] of decoders) rounds.get(label)?.push(await decodeRound(decode, fetched));
}
for (const [label, micros] of rounds) process.stdout.write(summary(label, micros));
