import { z } from 'zod';
import { redactUrl } from './redact-url.js';
import { documentsSchema } from './documents-schema.js';
import { changeLogSchema, deadLettersSchema, indexesSchema } from './indexes-schema.js';
import { parseBrokerList } from './endpoints.js';
import { kafkaSaslSchema, kafkaSslSchema, MYSQL_TLS_QUERY_KEYS, mysqlTlsSchema, withTlsInUrl } from './security-schema.js';

/**
 * The pipeline file: which database tables to capture, where Kafka and Elasticsearch are, and
 * (later) how documents are built. Every object is strict (an unknown key is an error, so a typo
 * never silently falls back to a default). Each field carries a description that says what to
 * write; the loader shows it as the `fix` of a ConfigurationError.
 */

/** Pipeline names: used in topic and consumer-group names. */
export const PIPELINE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** "database.table" patterns of `include` / `exclude`; "*" matches any characters in either part. */
export const TABLE_PATTERN = /^[^.\s]+\.[^.\s]+$/;

const DATABASE_NAME = /^[^./\\*\s]+$/;
const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;
const TOPIC_PREFIX = /^[A-Za-z0-9._-]{1,200}$/;
const SERVER_ID_MAX = 4_294_967_295;
const DEFAULT_SERVER_ID_MIN = 1000;
const DEFAULT_SERVER_ID_MAX = 2 ** 31 - 1;

/** How often the capture position is saved when `source.mysql.positionSaveIntervalMs` is not given. */
const DEFAULT_POSITION_SAVE_INTERVAL_MS = 10_000;

/** A whole number in [min, max]; a string of digits (from `${VAR}` interpolation) counts as one. */
function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.int().min(min).max(max),
  );
}

function urlWithScheme(schemes: readonly string[], what: string) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `must be ${what}` },
  );
}

const tablePatterns = z
  .array(z.string().regex(TABLE_PATTERN, 'must be a "database.table" pattern ("*" matches any characters)'))
  .describe('a list of "database.table" patterns, e.g. [sakila.film, sakila.film_*] ("*" matches any characters)');

const snapshotSchema = z
  .strictObject({
    mode: z.enum(['initial', 'never', 'always']).default('initial').describe('initial, never or always'),
    pageSize: wholeNumber(1, 100_000).default(1000).describe('a whole number of rows from 1 to 100000, e.g. 1000'),
    locking: z
      .enum(['global', 'tables', 'none'])
      .default('global')
      .describe('MySQL only: global (FLUSH TABLES WITH READ LOCK, needs RELOAD), tables (LOCK TABLES on the captured tables, for RDS/Aurora) or none (no lock: changes made while the snapshot starts are delivered twice)'),
  })
  .describe('a mapping with mode (initial | never | always), pageSize and locking (global | tables | none)');

const mysqlSchema = z
  .strictObject({
    url: urlWithScheme(['mysql:', 'mariadb:'], 'a mysql:// or mariadb:// URL').describe(
      'a URL like mysql://user:password@host:3306 (or mariadb://); ${SLUICE_MYSQL_URL} reads it from the environment',
    ),
    serverId: wholeNumber(1, SERVER_ID_MAX)
      .optional()
      .describe('a replication server id from 1 to 4294967295 that no other replica uses, e.g. 5401'),
    databases: z
      .array(z.string().regex(DATABASE_NAME, 'must be a database name (no ".", "/", "\\", "*" or spaces)').max(64))
      .min(1)
      .describe('a list of database names, e.g. [sakila]'),
    include: tablePatterns.optional(),
    exclude: tablePatterns.default(() => []),
    snapshot: snapshotSchema.prefault({}),
    positionSaveIntervalMs: wholeNumber(100)
      .optional()
      .describe(`milliseconds between saves of the capture position, even when idle; at least 100, default ${String(DEFAULT_POSITION_SAVE_INTERVAL_MS)}`),
    heartbeatIntervalMs: wholeNumber(100)
      .optional()
      .describe('deprecated: the old name of positionSaveIntervalMs (milliseconds, at least 100); write positionSaveIntervalMs instead'),
    binlogHeartbeatMs: wholeNumber(0, 3_600_000)
      .default(5_000)
      .describe('milliseconds between server heartbeats on the binlog connection (dead after 3 missed), 0 = off, e.g. 5000'),
    binlogPurged: z
      .enum(['fail', 'snapshot'])
      .default('fail')
      .describe('fail (stop and say so) or snapshot (take a new snapshot) when the binlog position is gone'),
    tls: mysqlTlsSchema.optional(),
  })
  .superRefine((mysql, context) => {
    if (mysql.heartbeatIntervalMs !== undefined && mysql.positionSaveIntervalMs !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['heartbeatIntervalMs'],
        message: 'is given together with positionSaveIntervalMs; heartbeatIntervalMs is the deprecated name of positionSaveIntervalMs',
        params: { fix: 'remove heartbeatIntervalMs and keep positionSaveIntervalMs' },
      });
    }
    if (mysql.tls === undefined) return;
    const inUrl = Object.values(MYSQL_TLS_QUERY_KEYS).filter((key) => URL.parse(mysql.url)?.searchParams.has(key) === true);
    if (inUrl.length > 0) context.addIssue({ code: 'custom', path: ['tls'], message: `TLS is set twice: in tls and in the URL (${inUrl.join(', ')}); keep one` });
  })
  .describe('a mapping with url, databases and optionally serverId, include, exclude, snapshot, positionSaveIntervalMs, binlogHeartbeatMs, binlogPurged, tls');

const batchSchema = z
  .strictObject({
    maxMessages: wholeNumber(1).default(1000).describe('a whole number of messages, at least 1, e.g. 1000'),
    maxBytes: wholeNumber(1).default(1_048_576).describe('a whole number of bytes, at least 1, e.g. 1048576'),
    maxDelayMs: wholeNumber(0).default(50).describe('milliseconds, at least 0, e.g. 50'),
  })
  .describe('a mapping with maxMessages, maxBytes and maxDelayMs');

const DURATION = /^(?:\d+(?:ms|s|m|h|d)|forever)$/;
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration like `7d`, `12h`, `500ms`; `forever` is -1 (Kafka's "no limit"). */
export function durationMs(duration: string): number {
  if (duration === 'forever') return -1;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(duration);
  if (match === null) throw new RangeError(`not a duration: ${duration}`);
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? 'ms'] ?? 1);
}

const topicsSchema = z
  .strictObject({
    cleanupPolicy: z
      .enum(['compact', 'delete', 'compact,delete'])
      .default('compact')
      .describe('compact (keep the last change of every row: a document added later sees every row), delete or compact,delete'),
    retention: z
      .string()
      .regex(DURATION, 'must be a duration like 7d, 12h, 30m or forever')
      .optional()
      .describe('how long messages are kept with cleanupPolicy delete or compact,delete (retention.ms), e.g. 7d or forever; default: the broker\'s'),
    tombstoneRetention: z
      .string()
      .regex(DURATION, 'must be a duration like 1d')
      .optional()
      .describe('how long a tombstone stays after compaction (delete.retention.ms), e.g. 1d; default: the broker\'s (1 day)'),
    tombstones: z.boolean().default(true).describe('true (a tombstone after each delete, so compaction forgets deleted rows) or false'),
  })
  .describe('a mapping with cleanupPolicy, retention, tombstoneRetention and tombstones');

const kafkaSchema = z
  .strictObject({
    brokers: z
      .preprocess(
        (value) => (typeof value === 'string' ? parseBrokerList(value) : value),
        z.array(z.string().superRefine(checkBroker)).min(1),
      )
      .describe('a list of host:port, e.g. [127.0.0.1:19092], or one comma-separated string'),
    topicPrefix: z
      .string()
      .regex(TOPIC_PREFIX, 'must be 1 to 200 of the characters a-z A-Z 0-9 . _ -')
      .optional()
      .describe('a topic name prefix of letters, digits, ".", "_" and "-", e.g. sakila'),
    partitions: wholeNumber(1).default(3).describe('a whole number of partitions, at least 1, e.g. 3'),
    replicationFactor: wholeNumber(1).default(1).describe('a whole number, at least 1, e.g. 1'),
    batch: batchSchema.prefault({}),
    topics: topicsSchema.prefault({}),
    ssl: kafkaSslSchema.optional(),
    sasl: kafkaSaslSchema.optional(),
  })
  .describe('a mapping with brokers and optionally topicPrefix, partitions, replicationFactor, batch, topics, ssl, sasl');

const elasticsearchSchema = z
  .strictObject({
    node: urlWithScheme(['http:', 'https:'], 'an http:// or https:// URL').describe(
      'an http(s) URL, e.g. http://127.0.0.1:19200; ${SLUICE_ES_NODE} reads it from the environment',
    ),
    username: z.string().min(1).optional().describe('a user name for basic authentication, e.g. sluice'),
    password: z.string().optional().describe('the password of username, e.g. ${SLUICE_ES_PASSWORD}'),
    apiKey: z.string().min(1).optional().describe('an Elasticsearch API key (the encoded form), e.g. ${SLUICE_ES_API_KEY}'),
    caFile: z.string().min(1).optional().describe('a PEM file of the certificate authority of the node, e.g. /etc/sluice/ca.pem'),
    caFingerprint: z
      .string()
      .regex(/^[0-9A-Fa-f:]{64,95}$/, 'must be a SHA-256 fingerprint in hex')
      .optional()
      .describe('the SHA-256 fingerprint of the CA certificate (Elasticsearch only), e.g. AA:BB:...'),
    tlsVerify: z.boolean().default(true).describe('true (default) to verify the node\'s TLS certificate; false only for a throwaway test node'),
  })
  .superRefine((section, context) => {
    if (section.apiKey !== undefined && section.username !== undefined) {
      context.addIssue({ code: 'custom', path: ['apiKey'], message: 'use either apiKey or username/password, not both' });
    }
    if (section.password !== undefined && section.username === undefined) {
      context.addIssue({ code: 'custom', path: ['password'], message: 'a password needs a username' });
    }
  })
  .describe('a mapping with node and optionally username/password or apiKey, caFile or caFingerprint, tlsVerify');

const bulkSchema = z
  .strictObject({
    maxDocuments: wholeNumber(1, 100_000).default(1000).describe('documents per bulk request, e.g. 1000'),
    maxBytes: wholeNumber(1024).default(5 * 1_048_576).describe('bytes per bulk request, e.g. 5242880'),
    maxAgeMs: wholeNumber(0).default(20).describe('milliseconds a partial bulk request waits for more documents, e.g. 20'),
    concurrency: wholeNumber(1, 64).default(2).describe('bulk requests in flight, e.g. 2'),
  })
  .describe('a mapping with maxDocuments, maxBytes, maxAgeMs and concurrency');

const fetchSchema = z
  .strictObject({
    maxBytesPerPartition: wholeNumber(1024)
      .default(1_048_576)
      .describe('bytes one fetch brings back from a partition at most (a larger message still comes whole), e.g. 1048576'),
    maxBytes: wholeNumber(1024).default(10_485_760).describe('bytes one fetch brings back at most, e.g. 10485760'),
  })
  .describe('a mapping with maxBytesPerPartition and maxBytes');

const sinkSchema = z
  .strictObject({
    pageSize: wholeNumber(1, 100_000)
      .default(1000)
      .describe('Kafka messages per page (offsets are committed page by page), e.g. 1000'),
    buildBatchSize: wholeNumber(1, 10_000).default(500).describe('root ids per batch of build queries, e.g. 500'),
    partitionsConsumedConcurrently: wholeNumber(1, 64).default(4).describe('Kafka partitions processed at once, e.g. 4'),
    fetch: fetchSchema.prefault({}),
    gcDeletes: z
      .string()
      .regex(/^\d+(?:ms|s|m|h|d)$/, 'must be a duration like 1h')
      .default('1h')
      .describe('how long Elasticsearch remembers deleted documents\' versions (index.gc_deletes), e.g. 1h'),
    bulk: bulkSchema.prefault({}),
    changeLog: changeLogSchema.prefault({}),
    deadLetters: deadLettersSchema.prefault({}),
    firstLoad: z
      .boolean()
      .default(true)
      .describe('true (default): a new pipeline builds every root once from the database, then streams; false: it streams the capture snapshot'),
  })
  .describe('a mapping with pageSize, buildBatchSize, partitionsConsumedConcurrently, fetch, gcDeletes, bulk, changeLog, deadLetters and firstLoad');

/** Loopback: the HTTP endpoint is not reachable from other machines unless `http.host` says so. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

const httpSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default(DEFAULT_HTTP_HOST)
      .describe('the address to listen on, e.g. 127.0.0.1 (default, this machine only) or 0.0.0.0 (every interface)'),
    port: wholeNumber(0, 65_535).describe('a TCP port from 1 to 65535, e.g. 9464 (0 = any free port, logged at start)'),
    stallTimeoutMs: wholeNumber(1000)
      .default(120_000)
      .describe('milliseconds a pipeline with work waiting (lag > 0) may go without progress before /health/ready says it is not ready, e.g. 120000'),
  })
  .describe('a mapping with port and optionally host (default 127.0.0.1) and stallTimeoutMs; the endpoint serves /metrics, /health/live, /health/ready and a status page');

/**
 * The source, keyed by kind: the one key of `source` names the kind of source and holds its
 * settings (`source: { mysql: {...} }`). A new kind adds its schema here (the keys then become
 * optional with a check that exactly one is given) and a case in src/pipeline/create-source.ts.
 * (A z.union would wrap every message of the one kind in a union error.)
 */
const SOURCE_KINDS = { mysql: mysqlSchema };
const sourceSchema = z.strictObject(SOURCE_KINDS).describe('a mapping with mysql');

/** The schema of a pipeline file (after `${VAR}` interpolation). Parsing applies every default. */
export const pipelineConfigSchema = z
  .strictObject({
    pipeline: z
      .string()
      .regex(PIPELINE_NAME_PATTERN, 'must start with a lowercase letter, then up to 62 of a-z 0-9 _ -')
      .describe('a name of lowercase letters, digits, "_" and "-" starting with a letter, e.g. sakila'),
    source: sourceSchema,
    kafka: kafkaSchema,
    engine: z
      .enum(['auto', 'elasticsearch', 'opensearch'])
      .default('auto')
      .describe('auto (default: asks the node), elasticsearch (8.x, 9.x) or opensearch (2.x, 3.x)'),
    elasticsearch: elasticsearchSchema.optional(),
    sink: sinkSchema.prefault({}),
    documents: documentsSchema,
    indexes: indexesSchema,
    http: httpSchema.optional(),
  })
  .superRefine((config, context) => {
    const { databases, include } = config.source.mysql;
    include?.forEach((pattern, index) => {
      const database = pattern.slice(0, pattern.indexOf('.'));
      if (!databases.some((name) => globMatches(database, name))) {
        context.addIssue({
          code: 'custom',
          path: ['source', 'mysql', 'include', index],
          message: `"${pattern}" matches no database of source.mysql.databases (${databases.join(', ')})`,
        });
      }
    });
  })
  .transform(({ pipeline, source, kafka, ...rest }) => {
    // The defaults that depend on the pipeline name, each in its place in the key order.
    // TLS settings travel in the URL's query string, which every MySQL connection is made from
    const { url: writtenUrl, serverId, tls, positionSaveIntervalMs, heartbeatIntervalMs, binlogHeartbeatMs, binlogPurged, ...mysql } = source.mysql;
    const url = tls === undefined ? writtenUrl : withTlsInUrl(writtenUrl, tls);
    const { brokers, topicPrefix, ...settings } = kafka;
    // heartbeatIntervalMs is the deprecated name of positionSaveIntervalMs: the output has the new key only
    const positionSave = positionSaveIntervalMs ?? heartbeatIntervalMs ?? DEFAULT_POSITION_SAVE_INTERVAL_MS;
    return {
      pipeline,
      source: { mysql: { url, serverId: serverId ?? defaultServerId(pipeline), ...mysql, positionSaveIntervalMs: positionSave, binlogHeartbeatMs, binlogPurged } },
      kafka: { brokers, topicPrefix: topicPrefix ?? pipeline, ...settings },
      ...rest,
    };
  });

/** A validated pipeline file with every default applied. */
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;

/** The `source` of a pipeline file: one key, the kind of source, and its settings. */
export type SourceConfig = PipelineConfig['source'];

/** The kinds of source a pipeline file can name. */
export type SourceKind = keyof SourceConfig;

/** The kind of source of a pipeline file. */
export function sourceKind(source: SourceConfig): SourceKind {
  return 'mysql' in source ? 'mysql' : (Object.keys(source)[0] as SourceKind);
}

/** A table of the source database. */
export interface TableName {
  readonly database: string;
  readonly table: string;
}

/**
 * The replication server id used when the file gives none: a stable FNV-1a hash of the pipeline
 * name into 1000..2^31-1, so restarts keep the id and two pipelines rarely collide.
 */
export function defaultServerId(pipeline: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(pipeline, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return DEFAULT_SERVER_ID_MIN + (hash % (DEFAULT_SERVER_ID_MAX - DEFAULT_SERVER_ID_MIN + 1));
}

/** True when `database`.`table` matches a "db.table" pattern ("*" matches any characters; case-sensitive). */
export function tableMatches(pattern: string, database: string, table: string): boolean {
  const dot = pattern.indexOf('.');
  if (dot < 0) return false;
  return globMatches(pattern.slice(0, dot), database) && globMatches(pattern.slice(dot + 1), table);
}

/**
 * The tables the pipeline captures, in the order given: those of `source.mysql.databases` that
 * match an `include` pattern (every table when there is no `include`) and no `exclude` pattern.
 */
export function selectTables<T extends TableName>(config: PipelineConfig, tables: readonly T[]): T[] {
  const { databases, include, exclude } = config.source.mysql;
  return tables.filter(
    ({ database, table }) =>
      databases.includes(database) &&
      (include === undefined || include.some((pattern) => tableMatches(pattern, database, table))) &&
      !exclude.some((pattern) => tableMatches(pattern, database, table)),
  );
}

/** The config with its secrets (URL passwords, SASL password, key passphrase, API key) replaced by ***, for printing and logs. */
export function redactPipelineConfig(config: PipelineConfig): PipelineConfig {
  const { ssl, sasl } = config.kafka;
  return {
    ...config,
    source: { mysql: { ...config.source.mysql, url: redactUrl(config.source.mysql.url) } },
    kafka: {
      ...config.kafka,
      ...(sasl === undefined ? {} : { sasl: { ...sasl, password: '***' } }),
      ...(typeof ssl === 'object' && ssl.keyPassword !== undefined ? { ssl: { ...ssl, keyPassword: '***' } } : {}),
    },
    ...(config.elasticsearch === undefined
      ? {}
      : {
          elasticsearch: {
            ...config.elasticsearch,
            node: redactUrl(config.elasticsearch.node),
            ...(config.elasticsearch.password === undefined ? {} : { password: '***' }),
            ...(config.elasticsearch.apiKey === undefined ? {} : { apiKey: '***' }),
          },
        }),
  };
}

/** A key path as written in messages: `source.mysql.include[0]`, `documents["a b"]`; "(top level)" when empty. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === '' ? '(top level)' : text;
}

function globMatches(glob: string, value: string): boolean {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'u').test(value);
}

function checkBroker(broker: string, context: z.RefinementCtx): void {
  const port = BROKER.exec(broker)?.[1];
  if (port === undefined) context.addIssue({ code: 'custom', message: 'must be host:port, e.g. 127.0.0.1:9092' });
  else if (Number(port) < 1 || Number(port) > 65_535) context.addIssue({ code: 'custom', message: 'has a port outside 1..65535' });
}
