import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configurationError } from '../../helpers/errors.js';
import { stringify } from 'yaml';
import {
  closestMatch,
  levenshtein,
  loadPipelineConfig,
  parsePipelineConfig,
} from '../../../src/config/load-pipeline-config.js';
import { defaultServerId, redactPipelineConfig } from '../../../src/config/pipeline-config.js';
import type { ConfigurationError } from '../../../src/errors.js';
import { PROJECT_ROOT } from '../../../stack/settings.js';

const FILE = 'pipelines/test.yml';

function valid(): Record<string, unknown> {
  return {
    pipeline: 'sakila',
    source: { mysql: { url: 'mysql://sluice:hunter2@127.0.0.1:13306', databases: ['sakila'] } },
    kafka: { brokers: ['127.0.0.1:19092'] },
    elasticsearch: { node: 'http://127.0.0.1:19200' },
  };
}

/** A copy of `base` with the value at `path` replaced (or removed when value is undefined). */
function withValue(base: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    target[key] ??= {};
    target = target[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}


function parseError(data: unknown): ConfigurationError {
  return configurationError(() => parsePipelineConfig(stringify(data), FILE, {}));
}

describe('parsePipelineConfig', () => {
  it('applies the defaults to a minimal file', () => {
    const config = parsePipelineConfig(stringify(valid()), FILE, {});
    expect(config.source.mysql.serverId).toBe(defaultServerId('sakila'));
    expect(config.source.mysql.snapshot).toEqual({ mode: 'initial', pageSize: 1000, locking: 'global' });
    expect(config.kafka.topicPrefix).toBe('sakila');
    expect(config.kafka.partitions).toBe(3);
    expect(config.documents).toEqual({});
  });

  const invalid: readonly [string, readonly string[], unknown, string][] = [
    ['a missing pipeline name', ['pipeline'], undefined, 'pipeline: is required'],
    ['an uppercase pipeline name', ['pipeline'], 'Sakila', 'pipeline: must start with a lowercase letter'],
    ['a pipeline name starting with a digit', ['pipeline'], '1shop', 'pipeline: must start'],
    ['a pipeline name of 64 characters', ['pipeline'], 'a'.repeat(64), 'pipeline: must start'],
    ['a pipeline name that is a number', ['pipeline'], 12, 'pipeline: must be a string, not a whole number'],
    ['a missing source', ['source'], undefined, 'source: is required'],
    ['a missing mysql section', ['source', 'mysql'], undefined, 'source.mysql: is required'],
    ['a missing url', ['source', 'mysql', 'url'], undefined, 'source.mysql.url: is required'],
    ['a url that is no URL', ['source', 'mysql', 'url'], 'localhost', 'source.mysql.url: must be a mysql:// or mariadb:// URL'],
    ['a postgres url', ['source', 'mysql', 'url'], 'postgres://u:hunter2@h/db', 'source.mysql.url: must be a mysql://'],
    ['server id 0', ['source', 'mysql', 'serverId'], 0, 'source.mysql.serverId: must be at least 1'],
    ['server id 2^32', ['source', 'mysql', 'serverId'], 4_294_967_296, 'source.mysql.serverId: must be at most 4294967295'],
    ['a fractional server id', ['source', 'mysql', 'serverId'], 1.5, 'source.mysql.serverId: must be a whole number'],
    ['missing databases', ['source', 'mysql', 'databases'], undefined, 'source.mysql.databases: is required'],
    ['an empty database list', ['source', 'mysql', 'databases'], [], 'source.mysql.databases: must have at least 1 item'],
    ['a database name with a dot', ['source', 'mysql', 'databases'], ['sakila.film'], 'source.mysql.databases[0]: must be a database name'],
    ['a database list that is a string', ['source', 'mysql', 'databases'], 'sakila', 'source.mysql.databases: must be a list, not a string'],
    ['an include pattern without a dot', ['source', 'mysql', 'include'], ['film'], 'source.mysql.include[0]: must be a "database.table" pattern'],
    ['an include of another database', ['source', 'mysql', 'include'], ['other.film'], 'source.mysql.include[0]: "other.film" matches no database'],
    ['an exclude pattern without a dot', ['source', 'mysql', 'exclude'], ['sakila.film', 'x'], 'source.mysql.exclude[1]: must be a "database.table"'],
    ['an unknown snapshot mode', ['source', 'mysql', 'snapshot', 'mode'], 'sometimes', 'source.mysql.snapshot.mode: must be one of "initial", "never", "always"'],
    ['page size 0', ['source', 'mysql', 'snapshot', 'pageSize'], 0, 'source.mysql.snapshot.pageSize: must be at least 1'],
    ['page size 100001', ['source', 'mysql', 'snapshot', 'pageSize'], 100_001, 'source.mysql.snapshot.pageSize: must be at most 100000'],
    ['a position-save interval of 99 ms', ['source', 'mysql', 'positionSaveIntervalMs'], 99, 'source.mysql.positionSaveIntervalMs: must be at least 100'],
    ['an unknown binlogPurged', ['source', 'mysql', 'binlogPurged'], 'ignore', 'source.mysql.binlogPurged: must be one of "fail", "snapshot"'],
    ['missing brokers', ['kafka', 'brokers'], undefined, 'kafka.brokers: is required'],
    ['an empty broker list', ['kafka', 'brokers'], [], 'kafka.brokers: must have at least 1 item'],
    ['a blank broker string', ['kafka', 'brokers'], ' , ', 'kafka.brokers: must have at least 1 item'],
    ['a broker without port', ['kafka', 'brokers'], 'a:1,b', 'kafka.brokers[1]: must be host:port'],
    ['a broker port above 65535', ['kafka', 'brokers'], ['a:65536'], 'kafka.brokers[0]: has a port outside 1..65535'],
    ['a topic prefix with a slash', ['kafka', 'topicPrefix'], 'a/b', 'kafka.topicPrefix: must be 1 to 200'],
    ['0 partitions', ['kafka', 'partitions'], 0, 'kafka.partitions: must be at least 1'],
    ['replication factor 0', ['kafka', 'replicationFactor'], 0, 'kafka.replicationFactor: must be at least 1'],
    ['batch of 0 messages', ['kafka', 'batch', 'maxMessages'], 0, 'kafka.batch.maxMessages: must be at least 1'],
    ['batch of 0 bytes', ['kafka', 'batch', 'maxBytes'], 0, 'kafka.batch.maxBytes: must be at least 1'],
    ['a negative batch delay', ['kafka', 'batch', 'maxDelayMs'], -1, 'kafka.batch.maxDelayMs: must be at least 0'],
    ['an elasticsearch section without node', ['elasticsearch'], {}, 'elasticsearch.node: is required'],
    ['an ftp elasticsearch node', ['elasticsearch', 'node'], 'ftp://h', 'elasticsearch.node: must be an http:// or https:// URL'],
    ['an empty elasticsearch section', ['elasticsearch'], null, 'elasticsearch: must be a mapping, not empty (null)'],
    ['documents as a list', ['documents'], [], 'documents: must be a mapping, not a list'],
    ['an http section without port', ['http'], { host: '0.0.0.0' }, 'http.port: is required'],
    ['an http port above 65535', ['http', 'port'], 70_000, 'http.port: must be at most 65535'],
    ['an http stall timeout under a second', ['http', 'stallTimeoutMs'], 10, 'http.stallTimeoutMs: must be at least 1000'],
  ];

  it('turns the HTTP endpoint on only with an http section, on loopback by default', () => {
    expect(parsePipelineConfig(stringify(valid()), FILE, {}).http).toBeUndefined();
    expect(parsePipelineConfig(stringify({ ...valid(), http: { port: 9464 } }), FILE, {}).http).toEqual({ host: '127.0.0.1', port: 9464, stallTimeoutMs: 120_000 });
  });

  it.each(invalid)('rejects %s naming the file and the key path', (_name, path, value, expected) => {
    const error = parseError(withValue(valid(), path, value));
    expect(error.message).toContain(`${FILE}: ${expected}`);
    expect(error.fix).not.toBe('');
    expect(error.context.file).toBe(FILE);
  });

  it('lists every problem in one error, each with its fix', () => {
    let data = withValue(valid(), ['pipeline'], 'Bad');
    data = withValue(data, ['kafka', 'partitions'], 0);
    data = withValue(data, ['source', 'mysql', 'snapshot', 'mode'], 'x');
    const error = parseError(data);
    expect(error.message.split('\n')).toEqual([
      `${FILE}: pipeline: must start with a lowercase letter, then up to 62 of a-z 0-9 _ -`,
      `${FILE}: source.mysql.snapshot.mode: must be one of "initial", "never", "always"`,
      `${FILE}: kafka.partitions: must be at least 1`,
    ]);
    expect(error.fix).toContain('pipeline: write a name of lowercase letters');
    expect(error.fix).toContain('source.mysql.snapshot.mode: write initial, never or always');
    expect(error.fix).toContain('kafka.partitions: write a whole number of partitions, at least 1');
  });

  it('suggests the closest known key for an unknown key, at any depth', () => {
    const top = parseError({ ...valid(), sorce: {} });
    expect(top.message).toContain(`${FILE}: sorce: unknown key (did you mean "source"?)`);
    expect(top.fix).toContain('did you mean "source"?');
    const deep = parseError(withValue(valid(), ['kafka', 'batch', 'maxMesages'], 5));
    expect(deep.message).toContain(`${FILE}: kafka.batch.maxMesages: unknown key (did you mean "maxMessages"?)`);
    const snake = parseError(withValue(valid(), ['source', 'mysql', 'server_id'], 5));
    expect(snake.message).toContain('source.mysql.server_id: unknown key (did you mean "serverId"?)');
  });

  it('lists the allowed keys when no known key is close', () => {
    const error = parseError(withValue(valid(), ['elasticsearch', 'region'], 'k'));
    expect(error.message).toContain(`${FILE}: elasticsearch.region: unknown key`);
    expect(error.message).not.toContain('did you mean');
    expect(error.fix).toContain('remove "region"; the keys allowed here are node, username, password, apiKey, caFile, caFingerprint, tlsVerify');
  });

  it('never echoes the password of a URL', () => {
    const wrongScheme = parseError(withValue(valid(), ['source', 'mysql', 'url'], 'postgres://u:hunter2@h/db'));
    const wrongType = parseError(withValue(valid(), ['source', 'mysql', 'url'], ['mysql://u:hunter2@h']));
    for (const error of [wrongScheme, wrongType]) {
      expect(`${error.message} ${error.fix} ${JSON.stringify(error.context)}`).not.toContain('hunter2');
    }
  });

  it('interpolates the environment before validating', () => {
    const text = [
      'pipeline: ${NAME:-sakila}',
      'source:',
      '  mysql:',
      '    url: ${DB_URL}',
      '    serverId: ${SERVER_ID:-5401}',
      '    databases: [sakila]',
      'kafka:',
      '  brokers: ${BROKERS}',
      'documents:',
      '  films: { table: film, mappings: { _meta: { note: "literal $${NOT_A_VARIABLE}" } } }',
    ].join('\n');
    const config = parsePipelineConfig(text, FILE, { DB_URL: 'mariadb://u:p@db:3306', BROKERS: 'k1:9092,k2:9092' });
    expect(config.pipeline).toBe('sakila');
    expect(config.source.mysql.url).toBe('mariadb://u:p@db:3306');
    expect(config.source.mysql.serverId).toBe(5401);
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.documents.films?.mappings).toEqual({ _meta: { note: 'literal ${NOT_A_VARIABLE}' } });
    const missing = configurationError(() => parsePipelineConfig(text, FILE, { BROKERS: 'k:1' }));
    expect(missing.message).toBe(`${FILE}: source.mysql.url: environment variable DB_URL is not set`);
    expect(missing.fix).toBe('set DB_URL or give a default: ${DB_URL:-value}');
  });

  it('gives the file, line and column of a YAML syntax error', () => {
    const text = 'pipeline: sakila\nsource:\n  mysql: [unclosed\nkafka: {}\n';
    const error = configurationError(() => parsePipelineConfig(text, FILE, {}));
    expect(error.message).toMatch(/^pipelines\/test\.yml:\d+:\d+: YAML syntax error: /);
    const duplicate = configurationError(() => parsePipelineConfig('pipeline: a\npipeline: b\n', FILE, {}));
    expect(duplicate.message).toMatch(/^pipelines\/test\.yml:2:1: YAML syntax error: .*unique/);
  });

  it('rejects an empty file and a file that is not a mapping', () => {
    expect(configurationError(() => parsePipelineConfig('# nothing\n', FILE, {})).message).toBe(`${FILE}: the file is empty`);
    expect(configurationError(() => parsePipelineConfig('- a\n', FILE, {})).message).toBe(
      `${FILE}: (top level): must be a mapping, not a list`,
    );
  });
});

describe('source.mysql.heartbeatIntervalMs, the deprecated name of positionSaveIntervalMs', () => {
  it('is still read, and the validated file shows it as positionSaveIntervalMs', () => {
    const config = parsePipelineConfig(stringify(withValue(valid(), ['source', 'mysql', 'heartbeatIntervalMs'], 500)), FILE, {});
    expect(config.source.mysql.positionSaveIntervalMs).toBe(500);
    expect(config.source.mysql).not.toHaveProperty('heartbeatIntervalMs');
    // what `sluice validate` prints
    const shown = stringify(redactPipelineConfig(config));
    expect(shown).toContain('positionSaveIntervalMs: 500');
    expect(shown).not.toContain('heartbeatIntervalMs');
  });

  it('defaults positionSaveIntervalMs to 10 seconds when neither key is given', () => {
    expect(parsePipelineConfig(stringify(valid()), FILE, {}).source.mysql.positionSaveIntervalMs).toBe(10_000);
  });

  it('is a configuration error together with positionSaveIntervalMs, naming both keys', () => {
    let data = withValue(valid(), ['source', 'mysql', 'heartbeatIntervalMs'], 500);
    data = withValue(data, ['source', 'mysql', 'positionSaveIntervalMs'], 1000);
    const error = parseError(data);
    expect(error.message).toBe(`${FILE}: source.mysql.heartbeatIntervalMs: is given together with positionSaveIntervalMs; heartbeatIntervalMs is the deprecated name of positionSaveIntervalMs`);
    expect(error.fix).toBe('source.mysql.heartbeatIntervalMs: remove heartbeatIntervalMs and keep positionSaveIntervalMs');
    expect(error.context.keys).toEqual(['source.mysql.heartbeatIntervalMs']);
  });

  it('is checked like positionSaveIntervalMs', () => {
    const error = parseError(withValue(valid(), ['source', 'mysql', 'heartbeatIntervalMs'], 99));
    expect(error.message).toBe(`${FILE}: source.mysql.heartbeatIntervalMs: must be at least 100`);
    expect(error.fix).toContain('write positionSaveIntervalMs instead');
  });
});

describe('loadPipelineConfig', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('reads a file', () => {
    const file = join(directory, 'ok.yml');
    writeFileSync(file, stringify(valid()));
    expect(loadPipelineConfig(file, {}).pipeline).toBe('sakila');
  });

  it('names a missing or unreadable file', () => {
    const missing = join(directory, 'missing.yml');
    const error = configurationError(() => loadPipelineConfig(missing, {}));
    expect(error.message).toBe(`pipeline file ${missing} does not exist`);
    expect(configurationError(() => loadPipelineConfig(directory, {})).message).toContain(`cannot read pipeline file ${directory}`);
    if (process.getuid?.() !== 0) {
      const locked = join(directory, 'locked.yml');
      writeFileSync(locked, 'pipeline: x\n');
      chmodSync(locked, 0o000);
      expect(configurationError(() => loadPipelineConfig(locked, {})).message).toContain(`cannot read pipeline file ${locked}`);
    }
  });

  it('loads the Sakila example with the local stack defaults and with the SLUICE_* variables', () => {
    const file = join(PROJECT_ROOT, 'examples', 'sakila', 'pipeline.yml');
    const local = loadPipelineConfig(file, {});
    expect(local.pipeline).toBe('sakila');
    expect(local.source.mysql.url).toBe('mysql://sluice:sluice@127.0.0.1:13306');
    expect(local.source.mysql.databases).toEqual(['sakila']);
    expect(local.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(local.elasticsearch).toEqual({ node: 'http://127.0.0.1:19200', tlsVerify: true });
    const elsewhere = loadPipelineConfig(file, {
      SLUICE_MYSQL_URL: 'mysql://u:p@db:3306',
      SLUICE_KAFKA_BROKERS: 'k1:9092,k2:9092',
      SLUICE_ES_NODE: 'https://es:9200',
    });
    expect(elsewhere.source.mysql.url).toBe('mysql://u:p@db:3306');
    expect(elsewhere.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(elsewhere.elasticsearch?.node).toBe('https://es:9200');
  });
});

describe('levenshtein and closestMatch', () => {
  it('counts edits and suggests only close keys', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(closestMatch('brokerz', ['brokers', 'partitions'])).toBe('brokers');
    expect(closestMatch('zzzzzz', ['brokers', 'partitions'])).toBeUndefined();
  });
});
