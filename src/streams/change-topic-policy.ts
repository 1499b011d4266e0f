import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export
const { ConfigResourceTypes } = kafkajs;
import type { Logger } from 'pino';

/**
 * How change topics keep their messages (`kafka.topics` of the pipeline file).
 *
 * The default, `compact`, keeps the last message of every primary key forever: a document added
 * months later, or `sluice replay --to-beginning`, still sees every row that exists (the sink
 * rebuilds documents from the database, so the last change of a row is all it needs). A delete is
 * followed by a **tombstone** (same key, null value, as Debezium does) so compaction eventually
 * drops deleted rows entirely, `tombstoneRetentionMs` after (`delete.retention.ms`): a consumer
 * that is further behind than that may miss the delete (the sink then still has the document of a
 * deleted row, until a full sync). Consumers skip tombstones.
 *
 * Tables without a primary key have a null message key, which a compacted topic refuses: their
 * topic uses `delete` with `retentionMs` (with `compact`, -1: kept forever).
 */
export interface ChangeTopicPolicy {
  readonly cleanupPolicy: 'compact' | 'delete' | 'compact,delete';
  /** `retention.ms` for `delete` and `compact,delete` (-1: forever); undefined: the broker's default. */
  readonly retentionMs?: number | undefined;
  /** `delete.retention.ms`: how long tombstones stay after compaction; undefined: the broker's default (1 day). */
  readonly tombstoneRetentionMs?: number | undefined;
  /** Write a tombstone after each delete (needed for compaction to ever forget deleted rows). */
  readonly tombstones: boolean;
}

/** The policy when the pipeline file says nothing: compacted, with tombstones. */
export const DEFAULT_CHANGE_TOPIC_POLICY: ChangeTopicPolicy = { cleanupPolicy: 'compact', tombstones: true };

/** The topic configuration entries of a change topic (`hasKey`: the table has a primary key). */
export function changeTopicConfig(policy: ChangeTopicPolicy, hasKey: boolean): Record<string, string> {
  if (!hasKey) {
    const retention = policy.retentionMs ?? (policy.cleanupPolicy === 'compact' ? -1 : undefined);
    return { 'cleanup.policy': 'delete', ...(retention === undefined ? {} : { 'retention.ms': String(retention) }) };
  }
  return {
    'cleanup.policy': policy.cleanupPolicy,
    ...(policy.cleanupPolicy !== 'compact' && policy.retentionMs !== undefined ? { 'retention.ms': String(policy.retentionMs) } : {}),
    ...(policy.cleanupPolicy !== 'delete' && policy.tombstoneRetentionMs !== undefined ? { 'delete.retention.ms': String(policy.tombstoneRetentionMs) } : {}),
  };
}

/** A change topic and whether its table has a primary key. */
export interface ChangeTopic {
  readonly topic: string;
  readonly hasKey: boolean;
}

/**
 * Compares existing change topics with the policy and returns one line per difference (and logs
 * it as a warning with the fix). Topics are not altered: they may have been set so on purpose.
 */
export async function checkChangeTopics(admin: Admin, topics: readonly ChangeTopic[], policy: ChangeTopicPolicy, logger: Logger): Promise<string[]> {
  if (topics.length === 0) return [];
  const wanted = new Map(topics.map((entry) => [entry.topic, changeTopicConfig(policy, entry.hasKey)]));
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((entry) => ({ type: ConfigResourceTypes.TOPIC, name: entry.topic, configNames: Object.keys(wanted.get(entry.topic) ?? {}) })),
  });
  const problems: string[] = [];
  for (const resource of described.resources) {
    const expected = wanted.get(resource.resourceName) ?? {};
    for (const [name, value] of Object.entries(expected)) {
      const actual = resource.configEntries.find((entry) => entry.configName === name)?.configValue;
      if (actual !== value) {
        const problem = `change topic ${resource.resourceName} has ${name}=${String(actual)}, the pipeline wants ${value}`;
        problems.push(problem);
        logger.warn(
          { topic: resource.resourceName, config: name, actual, wanted: value, fix: `kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${resource.resourceName} --add-config ${name}=${value}` },
          `${problem}: ${name === 'cleanup.policy' ? 'a document added later, or a replay from the beginning, may miss rows whose last change was deleted by retention' : 'set it as the pipeline says'}`,
        );
      }
    }
  }
  return problems;
}
