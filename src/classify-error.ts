import kafkajs from 'kafkajs';
import { ConfigurationError, isProgrammerError, PermanentError, SluiceError } from './errors.js';

/**
 * What retrying can do about an error:
 * - `transient`: the same operation may succeed later (a connection reset, a broker not available,
 *   a rebalance, a deadlock, an Elasticsearch 429 or 5xx): retry it with backoff;
 * - `permanent`: it will fail again until someone changes something (credentials, privileges, a
 *   column or table dropped under a document, a mapping refused): stop loudly with the fix;
 * - `bug`: a programmer error (TypeError...): never retried;
 * - `unknown`: nothing recognisable; retried with backoff, bounded by the retry policy.
 */
export type ErrorKind = 'transient' | 'permanent' | 'bug' | 'unknown';

/** The system whose error decided the verdict. */
export type ErrorService = 'mysql' | 'kafka' | 'elasticsearch' | 'network' | 'sluice';

/** The classification of an error, by {@link classifyError}. */
export interface ErrorVerdict {
  readonly kind: ErrorKind;
  readonly service?: ErrorService;
  /** The code that decided: a MySQL error code, a Kafka error type, an HTTP status... */
  readonly code?: string;
  /** The message of the error that decided. */
  readonly reason: string;
  /** For permanent errors of a known service: what the user should change. */
  readonly fix?: string;
}

/** Node's network error codes: the peer went away or is not reachable yet. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND']);

/** MySQL/MariaDB and mysql2 conditions that pass: a lost connection, a deadlock, a server restarting. */
const MYSQL_TRANSIENT = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_PACKETS_OUT_OF_ORDER',
  'ER_OUT_OF_RESOURCES',
  'ER_OUTOFMEMORY',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT',
]);

const MYSQL_CREDENTIALS = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_MUST_CHANGE_PASSWORD', 'ER_ACCOUNT_HAS_BEEN_LOCKED']);
const MYSQL_PRIVILEGES = new Set(['ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_PROCACCESS_DENIED_ERROR']);
const MYSQL_SCHEMA = new Set(['ER_BAD_FIELD_ERROR', 'ER_NO_SUCH_TABLE', 'ER_BAD_TABLE_ERROR', 'ER_BAD_DB_ERROR', 'ER_UNKNOWN_TABLE', 'ER_NON_UNIQ_ERROR', 'ER_PARSE_ERROR']);

/** Kafka error types that need a change of credentials, ACLs or configuration. */
const KAFKA_PERMANENT = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'POLICY_VIOLATION',
  'INVALID_TOPIC_EXCEPTION',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'UNSUPPORTED_VERSION',
]);

/** Kafka conditions kafkajs marks non-retriable that still pass: the group is moving. */
const KAFKA_TRANSIENT = new Set(['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR_FOR_GROUP', 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH']);

/** kafkajs errors (by name) that mean "not now": a broker unreachable, a request or lock timing out. */
const KAFKA_TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/** Node's TLS errors that no retry fixes: the peer's certificate is not trusted or not for this host, or no TLS is spoken. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'HANDSHAKE_SSL_ERROR',
]);

const TLS_FIX =
  "check the TLS settings: the CA file must hold the CA that signed the server's certificate (kafka.ssl.caFile, ssl-ca in source.mysql.url or source.mysql.tls.caFile), the host name must be one the certificate names (or use verify-ca), the client certificate and key must match, and the server must speak TLS on that port";

/** One step of the walk: a verdict that settles it, or a fallback used when no cause settles it. */
type Step = { readonly decisive: ErrorVerdict } | { readonly fallback?: ErrorVerdict };

/**
 * Classifies an error by walking it and its `cause` chain (outermost first, up to 8 levels): the
 * first error a known client recognises decides (a mysql2 error code, a kafkajs error or protocol
 * type, an Elasticsearch status or transport error, a PermanentError or ConfigurationError).
 * Wrappers that only say "retriable or not" (SluiceError, KafkaJSNumberOfRetriesExceeded) decide
 * only when no cause does: a SluiceError marked retriable is transient, one that is not is
 * permanent (without a fix), kafkajs' retries exhausted on a retriable error is transient.
 */
export function classifyError(error: unknown): ErrorVerdict {
  let fallback: ErrorVerdict | undefined;
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8 && !seen.has(current); depth += 1) {
    seen.add(current);
    const step = classifyOne(current);
    if ('decisive' in step) return step.decisive;
    fallback ??= step.fallback;
    current = typeof current === 'object' && 'cause' in current ? (current as { cause?: unknown }).cause : undefined;
  }
  return fallback ?? { kind: 'unknown', reason: messageOf(error) };
}

/** True when retrying `error` may help: transient, or unknown (bounded by the retry policy). */
export function isRetriableError(error: unknown): boolean {
  const { kind } = classifyError(error);
  return kind === 'transient' || kind === 'unknown';
}

function classifyOne(error: unknown): Step {
  const reason = messageOf(error);
  if (isProgrammerError(error)) return { decisive: { kind: 'bug', reason } };
  if (error instanceof PermanentError || error instanceof ConfigurationError) return { decisive: { kind: 'permanent', service: 'sluice', reason, fix: error.fix } };
  if (error instanceof SluiceError) return { fallback: { kind: error.retriable ? 'transient' : 'permanent', service: 'sluice', reason } };
  if (error instanceof kafkajs.KafkaJSError) return classifyKafka(error, reason);
  if (error instanceof Error && 'errors' in error && Array.isArray(error.errors) && error.errors.length > 0) return classifyAggregate(error.errors as unknown[]);
  if (isSearchClientError(error)) return classifySearchClient(error, reason);
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return classifyCode(error as CodedError, reason);
  return {};
}

/**
 * An AggregateError or KafkaJSAggregateError (createTopics answers one error per topic): the
 * worst of its errors decides: permanent, then bug, then transient, then unknown.
 */
function classifyAggregate(errors: readonly unknown[]): Step {
  const verdicts = errors.map((inner) => classifyError(inner));
  for (const kind of ['permanent', 'bug', 'transient'] as const) {
    const found = verdicts.find((verdict) => verdict.kind === kind && (kind !== 'permanent' || verdict.fix !== undefined));
    if (found !== undefined) return { decisive: found };
  }
  return { fallback: verdicts[0] ?? { kind: 'unknown', reason: 'no errors' } };
}

interface CodedError {
  readonly code: string;
  readonly errno?: number | string;
  readonly sqlState?: string;
  readonly sqlMessage?: string;
}

/** mysql2 errors (ER_* and PROTOCOL_* codes) and Node's network errors. */
function classifyCode(error: CodedError, reason: string): Step {
  const { code } = error;
  if (NETWORK_CODES.has(code)) return { decisive: { kind: 'transient', service: 'network', code, reason } };
  if (TLS_CODES.has(code)) return { decisive: { kind: 'permanent', service: 'network', code, reason, fix: TLS_FIX } };
  if (MYSQL_TRANSIENT.has(code)) return { decisive: { kind: 'transient', service: 'mysql', code, reason } };
  const permanent = (fix: string): Step => ({ decisive: { kind: 'permanent', service: 'mysql', code, reason, fix } });
  if (MYSQL_CREDENTIALS.has(code)) return permanent('check the user and password in source.mysql.url (and that this user may connect from this host)');
  if (MYSQL_PRIVILEGES.has(code)) return permanent('grant the missing privilege to the user of source.mysql.url (as an administrator), e.g. GRANT SELECT ON <database>.* TO <user>');
  if (MYSQL_SCHEMA.has(code)) return permanent(schemaFix(code, error.sqlMessage ?? reason));
  if (code === 'ER_HOST_IS_BLOCKED') return permanent('run FLUSH HOSTS on the database (as an administrator), or raise max_connect_errors');
  if (code.startsWith('ER_') || error.sqlState !== undefined) return { fallback: { kind: 'unknown', service: 'mysql', code, reason } };
  return {};
}

/** The fix of a query that names a column, table or database the database no longer has. */
function schemaFix(code: string, message: string): string {
  const column = /Unknown column '([^']+)'/i.exec(message)?.[1];
  if (code === 'ER_BAD_FIELD_ERROR' && column !== undefined) {
    const name = column.slice(column.lastIndexOf('.') + 1);
    return `the column "${name}" is no longer in the database (dropped or renamed?): update the documents of the pipeline file that read it (fields, relations, keys), or restore the column, then start sluice again; the changes not yet written stay in Kafka`;
  }
  const table = /Table '([^']+)' doesn't exist/i.exec(message)?.[1] ?? /Unknown table '([^']+)'/i.exec(message)?.[1];
  if (table !== undefined) {
    return `the table "${table}" is no longer in the database (dropped or renamed?): update the documents of the pipeline file that read it, or restore the table, then start sluice again; the changes not yet written stay in Kafka`;
  }
  return 'the database schema no longer matches the pipeline file: update its documents (or restore the schema), then start sluice again; the changes not yet written stay in Kafka';
}

function classifyKafka(error: InstanceType<typeof kafkajs.KafkaJSError>, reason: string): Step {
  const name = error.name;
  const type = 'type' in error && typeof error.type === 'string' ? error.type : undefined;
  if (name === 'KafkaJSSASLAuthenticationError' || (type !== undefined && /AUTHENTICATION|SASL/.test(type) && KAFKA_PERMANENT.has(type))) {
    return { decisive: { kind: 'permanent', service: 'kafka', code: type ?? name, reason, fix: 'check the Kafka credentials (SASL mechanism, user and password) of the pipeline file' } };
  }
  if (type !== undefined && KAFKA_PERMANENT.has(type)) {
    const fix = type.endsWith('AUTHORIZATION_FAILED')
      ? 'grant the Kafka principal of sluice the ACLs it needs (read/write on the pipeline topics, read on its consumer groups, describe/create on the cluster)'
      : 'change the Kafka settings of the pipeline file (kafka.*) or the broker configuration so the broker accepts the request';
    return { decisive: { kind: 'permanent', service: 'kafka', code: type, reason, fix } };
  }
  if (type !== undefined && KAFKA_TRANSIENT.has(type)) return { decisive: { kind: 'transient', service: 'kafka', code: type, reason } };
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined && TLS_CODES.has(code)) return { decisive: { kind: 'permanent', service: 'kafka', code, reason, fix: TLS_FIX } };
  if (KAFKA_TRANSIENT_NAMES.has(name)) return { decisive: { kind: 'transient', service: 'kafka', code: name, reason } };
  // kafkajs retried a retriable error until its budget ran out: the condition may still pass
  if (name === 'KafkaJSNumberOfRetriesExceeded') return { fallback: { kind: 'transient', service: 'kafka', code: name, reason } };
  if (error.retriable) return { decisive: { kind: 'transient', service: 'kafka', code: type ?? name, reason } };
  return { fallback: { kind: 'unknown', service: 'kafka', code: type ?? name, reason } };
}

/** Error names of the Elasticsearch and OpenSearch JavaScript clients (their transports share them). */
const SEARCH_CLIENT_TRANSIENT_NAMES = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'DeserializationError']);
const SEARCH_CLIENT_PERMANENT_NAMES = new Set(['ProductNotSupportedError', 'ConfigurationError']);

/**
 * True for errors of the Elasticsearch and OpenSearch clients, by their shape (a known name and
 * the transport's `meta`): only src/sinks/engine imports the clients themselves.
 */
function isSearchClientError(error: unknown): error is Error & { meta?: unknown } {
  if (!(error instanceof Error) || !('meta' in error)) return false;
  return error.name === 'ResponseError' || SEARCH_CLIENT_TRANSIENT_NAMES.has(error.name) || SEARCH_CLIENT_PERMANENT_NAMES.has(error.name);
}

function classifySearchClient(error: Error & { meta?: unknown }, reason: string): Step {
  const verdict = (kind: ErrorKind, code: string, fix?: string): Step => ({ decisive: { kind, service: 'elasticsearch', code, reason, ...(fix === undefined ? {} : { fix }) } });
  if (error.name === 'ResponseError') {
    const status = statusOf(error);
    const code = String(status);
    if (status === 429 || status === 408 || status >= 500 || status === 0) return verdict('transient', code);
    if (status === 401) return verdict('permanent', code, 'check the Elasticsearch credentials of elasticsearch.node (user and password, or the API key)');
    if (status === 403) return verdict('permanent', code, 'grant the Elasticsearch user of sluice the privileges it needs on its indexes (create_index, manage, write, read) and on index templates');
    if (status === 400) {
      const type = responseErrorType(error);
      return verdict('permanent', type === undefined ? code : `${code} ${type}`, 'Elasticsearch refused the settings or mappings sluice sent: fix the settings/mappings of the documents in the pipeline file (the reason names the field), then start sluice again');
    }
    return { fallback: { kind: 'unknown', service: 'elasticsearch', code, reason } };
  }
  if (SEARCH_CLIENT_TRANSIENT_NAMES.has(error.name)) return verdict('transient', error.name);
  if (SEARCH_CLIENT_PERMANENT_NAMES.has(error.name)) return verdict('permanent', error.name, 'point elasticsearch.node at an Elasticsearch 8 node');
  return { fallback: { kind: 'unknown', service: 'elasticsearch', code: error.name, reason } };
}

/** The HTTP status of a client's ResponseError: `statusCode`, or `meta.statusCode`. */
function statusOf(error: Error & { meta?: unknown }): number {
  const direct = (error as { statusCode?: unknown }).statusCode;
  if (typeof direct === 'number') return direct;
  const meta = error.meta;
  const nested = typeof meta === 'object' && meta !== null ? (meta as { statusCode?: unknown }).statusCode : undefined;
  return typeof nested === 'number' ? nested : 0;
}

/** The `error.type` of a ResponseError's body (`mapper_parsing_exception`...). */
function responseErrorType(error: Error & { meta?: unknown }): string | undefined {
  const meta = error.meta;
  const body: unknown = (error as { body?: unknown }).body ?? (typeof meta === 'object' && meta !== null ? (meta as { body?: unknown }).body : undefined);
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const cause = body.error;
  return typeof cause === 'object' && cause !== null && 'type' in cause && typeof cause.type === 'string' ? cause.type : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}
