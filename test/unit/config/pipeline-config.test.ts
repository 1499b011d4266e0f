import { describe, expect, it } from 'vitest';
import {
  defaultServerId,
  formatKeyPath,
  pipelineConfigSchema,
  redactPipelineConfig,
  selectTables,
  tableMatches,
} from '../../../src/config/pipeline-config.js';

const minimal = {
  pipeline: 'sakila',
  source: { mysql: { url: 'mysql://sluice:secret@127.0.0.1:13306', databases: ['sakila'] } },
  kafka: { brokers: ['127.0.0.1:19092'] },
};

describe('pipelineConfigSchema', () => {
  it('applies every default', () => {
    expect(pipelineConfigSchema.parse(minimal)).toEqual({
      pipeline: 'sakila',
      engine: 'auto',
      source: {
        mysql: {
          url: 'mysql://sluice:secret@127.0.0.1:13306',
          serverId: defaultServerId('sakila'),
          databases: ['sakila'],
          exclude: [],
          snapshot: { mode: 'initial', pageSize: 1000, locking: 'global' },
          positionSaveIntervalMs: 10_000,
          binlogHeartbeatMs: 5_000,
          binlogPurged: 'fail',
        },
      },
      kafka: {
        brokers: ['127.0.0.1:19092'],
        topicPrefix: 'sakila',
        partitions: 3,
        replicationFactor: 1,
        batch: { maxMessages: 1000, maxBytes: 1_048_576, maxDelayMs: 50 },
        topics: { cleanupPolicy: 'compact', tombstones: true },
      },
      sink: {
        pageSize: 1000,
        buildBatchSize: 500,
        partitionsConsumedConcurrently: 4,
        fetch: { maxBytesPerPartition: 1_048_576, maxBytes: 10_485_760 },
        gcDeletes: '1h',
        bulk: { maxDocuments: 1000, maxBytes: 5 * 1_048_576, maxAgeMs: 20, concurrency: 2 },
        changeLog: { enabled: false, maxAge: '7d' },
        deadLetters: { index: true, maxAge: '90d' },
        firstLoad: true,
      },
      documents: {},
      indexes: {},
    });
  });

  it('keeps given values, splits a broker string and reads digit strings as numbers', () => {
    const config = pipelineConfigSchema.parse({
      ...minimal,
      source: { mysql: { ...minimal.source.mysql, serverId: '77', snapshot: { mode: 'never' } } },
      kafka: { brokers: 'k1:9092, k2:9092', topicPrefix: 'cdc.sakila', batch: { maxDelayMs: 0 } },
      elasticsearch: { node: 'https://es.example:9200' },
    });
    expect(config.source.mysql.serverId).toBe(77);
    expect(config.source.mysql.snapshot).toEqual({ mode: 'never', pageSize: 1000, locking: 'global' });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.kafka.topicPrefix).toBe('cdc.sakila');
    expect(config.kafka.batch).toEqual({ maxMessages: 1000, maxBytes: 1_048_576, maxDelayMs: 0 });
    expect(config.elasticsearch).toEqual({ node: 'https://es.example:9200', tlsVerify: true });
    expect(config.engine).toBe('auto');
  });

  it('takes the engine and the credentials and TLS settings of the search engine', () => {
    const config = pipelineConfigSchema.parse({
      ...minimal,
      engine: 'opensearch',
      elasticsearch: { node: 'https://os:9200', username: 'sluice', password: 'pw', caFile: '/etc/ca.pem', tlsVerify: false },
    });
    expect(config.engine).toBe('opensearch');
    expect(config.elasticsearch).toEqual({ node: 'https://os:9200', username: 'sluice', password: 'pw', caFile: '/etc/ca.pem', tlsVerify: false });
    expect(() => pipelineConfigSchema.parse({ ...minimal, engine: 'solr' })).toThrow();
    expect(() => pipelineConfigSchema.parse({ ...minimal, elasticsearch: { node: 'https://es:9200', apiKey: 'k', username: 'u' } })).toThrow(/either apiKey or username/);
    expect(() => pipelineConfigSchema.parse({ ...minimal, elasticsearch: { node: 'https://es:9200', password: 'p' } })).toThrow(/needs a username/);
  });

  it('does not share default objects between parses', () => {
    const first = pipelineConfigSchema.parse(minimal);
    first.source.mysql.exclude.push('sakila.x');
    first.documents.x = { table: 'film' };
    const second = pipelineConfigSchema.parse(minimal);
    expect(second.source.mysql.exclude).toEqual([]);
    expect(second.documents).toEqual({});
  });
});

describe('defaultServerId', () => {
  it('is stable, within 1000..2^31-1 and differs between names', () => {
    const ids = ['sakila', 'shop', 'a', 'orders-eu', 'x'.repeat(63)].map(defaultServerId);
    expect(defaultServerId('sakila')).toBe(ids[0]);
    for (const id of ids) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(1000);
      expect(id).toBeLessThanOrEqual(2 ** 31 - 1);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('tableMatches and selectTables', () => {
  it('matches exact names and "*" in either part, case-sensitively', () => {
    expect(tableMatches('sakila.film', 'sakila', 'film')).toBe(true);
    expect(tableMatches('sakila.film', 'sakila', 'film_actor')).toBe(false);
    expect(tableMatches('sakila.film*', 'sakila', 'film_actor')).toBe(true);
    expect(tableMatches('*.film', 'other', 'film')).toBe(true);
    expect(tableMatches('sakila.*', 'sakila', 'payment')).toBe(true);
    expect(tableMatches('sakila.FILM', 'sakila', 'film')).toBe(false);
    expect(tableMatches('sak?la.film', 'sakila', 'film')).toBe(false);
    expect(tableMatches('sakila', 'sakila', 'film')).toBe(false);
  });

  const tables = [
    { database: 'sakila', table: 'film' },
    { database: 'sakila', table: 'film_actor' },
    { database: 'sakila', table: 'payment' },
    { database: 'other', table: 'film' },
  ];

  it('takes every table of the databases when there is no include', () => {
    const config = pipelineConfigSchema.parse({ ...minimal, source: { mysql: { ...minimal.source.mysql, exclude: ['*.payment'] } } });
    expect(selectTables(config, tables)).toEqual(tables.slice(0, 2));
  });

  it('takes included tables minus excluded ones', () => {
    const mysql = { ...minimal.source.mysql, include: ['sakila.film*', 'sakila.payment'], exclude: ['sakila.film_actor'] };
    const config = pipelineConfigSchema.parse({ ...minimal, source: { mysql } });
    expect(selectTables(config, tables)).toEqual([tables[0], tables[2]]);
  });
});

describe('redactPipelineConfig and formatKeyPath', () => {
  it('hides the passwords of the URLs', () => {
    const config = pipelineConfigSchema.parse({ ...minimal, elasticsearch: { node: 'https://elastic:espw@es:9200' } });
    const printed = JSON.stringify(redactPipelineConfig(config));
    expect(printed).not.toContain('secret');
    expect(printed).not.toContain('espw');
    const withSecrets = pipelineConfigSchema.parse({ ...minimal, elasticsearch: { node: 'https://es:9200', username: 'u', password: 'hunter2' } });
    const keyed = pipelineConfigSchema.parse({ ...minimal, elasticsearch: { node: 'https://es:9200', apiKey: 'c2VjcmV0a2V5' } });
    for (const redacted of [withSecrets, keyed].map((parsed) => JSON.stringify(redactPipelineConfig(parsed)))) {
      expect(redacted).not.toContain('hunter2');
      expect(redacted).not.toContain('c2VjcmV0a2V5');
      expect(redacted).toContain('***');
    }
    expect(printed).toContain('mysql://sluice:***@127.0.0.1:13306');
  });

  it('writes key paths with dots and indexes', () => {
    expect(formatKeyPath(['source', 'mysql', 'include', 2])).toBe('source.mysql.include[2]');
    expect(formatKeyPath(['documents', 'a b'])).toBe('documents["a b"]');
    expect(formatKeyPath([])).toBe('(top level)');
  });
});
