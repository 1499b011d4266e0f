import type { Kafka } from 'kafkajs';

/** No test lasts this long, so a test's topic this old is a leftover of an earlier run. */
export const STALE_AFTER_MS = 60 * 60_000;

/** `uniqueName`'s tail: `_<Date.now() in base 36>_<8 hex digits>`, with `-` in pipeline names. */
const UNIQUE_TAIL = /[_-]([0-9a-z]{8})[_-][0-9a-f]{8}(?=$|[._-])/;

/** Names before this time are not `uniqueName`'s (its base-36 clock reads later), whatever they look like. */
const EARLIEST_TEST_RUN = Date.UTC(2025, 0, 1);

/** Topics deleted per request: one request for thousands of topics outlasts the admin timeout. */
const DELETE_CHUNK = 200;

/**
 * When the test that named `topic` (with `uniqueName`) started, or undefined for a topic no test
 * named: sluice's own topics, a user's, the broker's.
 */
export function testTopicCreatedAt(topic: string): number | undefined {
  const match = UNIQUE_TAIL.exec(topic);
  if (match?.[1] === undefined) return undefined;
  const createdAt = Number.parseInt(match[1], 36);
  return createdAt >= EARLIEST_TEST_RUN ? createdAt : undefined;
}

/** The topics of `topics` that tests named more than STALE_AFTER_MS before `now`. */
export function staleTestTopics(topics: readonly string[], now: number): string[] {
  return topics.filter((topic) => {
    const createdAt = testTopicCreatedAt(topic);
    return createdAt !== undefined && createdAt < now - STALE_AFTER_MS;
  });
}

/** Rounds of list-and-delete before the sweep gives up on what remains. */
const SWEEP_ROUNDS = 3;

/**
 * Deletes the topics earlier test runs left on the broker and returns how many are gone and how
 * many remain. Tests drop their databases and indexes but leave their topics (a killed run cannot
 * clean up at all); a broker left with tens of thousands of partitions takes minutes to start and
 * slows every test after. Topics younger than STALE_AFTER_MS are kept: another checkout's run may
 * be using them. A chunk's failure (a topic another sweep deleted first) is retried by listing again.
 */
export async function deleteStaleTestTopics(kafka: Kafka, now = Date.now()): Promise<{ deleted: number; remaining: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let stale = staleTestTopics(await admin.listTopics(), now);
    const found = stale.length;
    for (let round = 0; round < SWEEP_ROUNDS && stale.length > 0; round += 1) {
      for (let start = 0; start < stale.length; start += DELETE_CHUNK) {
        await admin.deleteTopics({ topics: stale.slice(start, start + DELETE_CHUNK), timeout: 60_000 }).catch(() => undefined);
      }
      stale = staleTestTopics(await admin.listTopics(), now);
    }
    return { deleted: found - stale.length, remaining: stale.length };
  } finally {
    await admin.disconnect();
  }
}
