import { randomBytes } from 'node:crypto';
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 hash of a key (the Java client's Utils.murmur2, as kafkajs' DefaultPartitioner
 * computes it) in 32-bit integer arithmetic: kafkajs does it with a 64-bit Long object per step,
 * a few allocations per 4 key bytes. The low 32 bits of every step are the same, so is the hash.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (value: number): number => value & 0x7fffffff;

/**
 * kafkajs' DefaultPartitioner (Java's default before 2.4), partition for partition: an explicit
 * partition wins, a keyed message goes to murmur2(key) modulo the topic's partition count, a
 * message without a key round-robins over the available partitions from a random start. Faster:
 * 32-bit murmur2, and the available partitions are listed only for messages without a key (the
 * default filters them for every message).
 */
export const KeyHashPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) return toPositive(murmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)))) % partitionMetadata.length;
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((partition) => partition.leader >= 0);
    if (available.length > 0) return available[toPositive(counter) % available.length].partitionId;
    return toPositive(counter) % partitionMetadata.length;
  };
};
