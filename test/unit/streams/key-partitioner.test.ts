import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KeyHashPartitioner, murmur2 } from '../../../src/streams/key-partitioner.js';

const metadata = (count: number, leaderless: readonly number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

describe('KeyHashPartitioner', () => {
  it("puts every keyed message in kafkajs' DefaultPartitioner's partition", () => {
    const ours = KeyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: Array<string | Buffer> = ['', 'a', 'ab', 'abc', 'abcd', '{"id":1}', '{"id":"18446744073709551615"}', 'é€𝄞', '{"actor_id":1,"film_id":23}'];
    for (let length = 0; length < 64; length += 1) keys.push(randomBytes(length), randomBytes(length).toString('base64'));
    for (let id = 0; id < 2_000; id += 1) keys.push(`{"id":${id}}`);
    for (const partitions of [1, 3, 7, 64]) {
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
        // a Buffer key hashes as its string's UTF-8 bytes
        if (typeof key === 'string') expect(ours({ ...args, message: { key: Buffer.from(key), value: null } })).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition', () => {
    expect(KeyHashPartitioner()({ topic: 't', partitionMetadata: metadata(3), message: { key: 'x', value: null, partition: 2 } })).toBe(2);
  });

  it('round-robins messages without a key over the partitions with a leader', () => {
    const partitioner = KeyHashPartitioner();
    const seen = Array.from({ length: 8 }, () => partitioner({ topic: 't', partitionMetadata: metadata(3, [1]), message: { value: null } }));
    expect(new Set(seen)).toEqual(new Set([0, 2]));
    expect(seen.slice(2)).toEqual([...seen.slice(0, 2), ...seen.slice(0, 2), ...seen.slice(0, 2)]);
  });

  it('hashes as the Java client does (Utils.murmur2 test vectors)', () => {
    // from Kafka's UtilsTest.testMurmur2: "21" -> -973932308, "foobar" -> -790332482, "a-little-bit-long-string" -> -985981536
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
  });
});
