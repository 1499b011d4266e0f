import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { changeTopicPolicy } from '../../../src/pipeline/capture-settings.js';
import { durationMs, pipelineConfigSchema } from '../../../src/config/pipeline-config.js';
import { changeTopicConfig, checkChangeTopics, DEFAULT_CHANGE_TOPIC_POLICY } from '../../../src/streams/change-topic-policy.js';

const minimal = {
  pipeline: 'shop',
  source: { mysql: { url: 'mysql://sluice:secret@127.0.0.1:13306', databases: ['shop'] } },
  kafka: { brokers: ['127.0.0.1:19092'] },
};

describe('change topic retention', () => {
  it('compacts by primary key by default, so a document added later sees every row', () => {
    expect(changeTopicConfig(DEFAULT_CHANGE_TOPIC_POLICY, true)).toEqual({ 'cleanup.policy': 'compact' });
    expect(changeTopicPolicy(pipelineConfigSchema.parse(minimal))).toEqual({ cleanupPolicy: 'compact', retentionMs: undefined, tombstoneRetentionMs: undefined, tombstones: true });
  });

  it('keeps the messages of a table without a primary key (null keys cannot be compacted) with delete and, for compact, forever', () => {
    expect(changeTopicConfig(DEFAULT_CHANGE_TOPIC_POLICY, false)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
    expect(changeTopicConfig({ cleanupPolicy: 'delete', retentionMs: 86_400_000, tombstones: true }, false)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '86400000' });
  });

  it('reads kafka.topics from the pipeline file', () => {
    const config = pipelineConfigSchema.parse({ ...minimal, kafka: { ...minimal.kafka, topics: { cleanupPolicy: 'compact,delete', retention: '30d', tombstoneRetention: '12h', tombstones: false } } });
    const policy = changeTopicPolicy(config);
    expect(policy).toEqual({ cleanupPolicy: 'compact,delete', retentionMs: 30 * 86_400_000, tombstoneRetentionMs: 12 * 3_600_000, tombstones: false });
    expect(changeTopicConfig(policy, true)).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '2592000000', 'delete.retention.ms': '43200000' });
    expect(durationMs('forever')).toBe(-1);
    expect(durationMs('500ms')).toBe(500);
  });

  it('refuses an unknown policy or a bad duration, naming the key', () => {
    const bad = pipelineConfigSchema.safeParse({ ...minimal, kafka: { ...minimal.kafka, topics: { cleanupPolicy: 'keep' } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['kafka', 'topics', 'cleanupPolicy']);
    const duration = pipelineConfigSchema.safeParse({ ...minimal, kafka: { ...minimal.kafka, topics: { retention: 'a week' } } });
    expect(duration.error?.issues[0]?.path).toEqual(['kafka', 'topics', 'retention']);
    expect(pipelineConfigSchema.safeParse({ ...minimal, kafka: { ...minimal.kafka, topics: { compaction: true } } }).success).toBe(false);
  });

  it('warns about an existing topic with the broker default (delete) and names the fix', async () => {
    const describeConfigs = vi.fn().mockResolvedValue({
      resources: [
        { resourceName: 'shop.shop.product', configEntries: [{ configName: 'cleanup.policy', configValue: 'delete' }] },
        { resourceName: 'shop.shop.tag', configEntries: [{ configName: 'cleanup.policy', configValue: 'compact' }] },
      ],
    });
    const warn = vi.fn();
    const problems = await checkChangeTopics(
      { describeConfigs } as unknown as Admin,
      [{ topic: 'shop.shop.product', hasKey: true }, { topic: 'shop.shop.tag', hasKey: true }],
      DEFAULT_CHANGE_TOPIC_POLICY,
      { warn } as unknown as Logger,
    );
    expect(problems).toEqual(['change topic shop.shop.product has cleanup.policy=delete, the pipeline wants compact']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls[0])).toContain('--add-config cleanup.policy=compact');
    const request = describeConfigs.mock.calls[0]?.[0] as { resources: Array<{ configNames: string[] }> } | undefined;
    expect(request?.resources[0]?.configNames).toEqual(['cleanup.policy']);
  });
});
