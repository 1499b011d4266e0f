import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { errors as es } from '@elastic/elasticsearch';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyError, isRetriableError } from '../../src/classify-error.js';
import { ConfigurationError, PermanentError, SluiceError } from '../../src/errors.js';

// The errors here are built by the client libraries' own code wherever it can run without a
// server: mysql2 parses a real ERR packet, kafkajs builds protocol errors from their wire codes,
// @elastic/transport's error classes get the response metadata the client gives them.

const require = createRequire(import.meta.url);

/** mysql2's own error for a server ERR packet (errno, SQLSTATE, message), as a query would reject with. */
function mysqlError(errno: number, sqlState: string, message: string): Error {
  // the package's exports hide its internals: load the parser by path
  const Packet = require(join(dirname(require.resolve('mysql2')), 'lib/packets/packet.js')) as new (id: number, buffer: Buffer, start: number, end: number) => { asError(encoding?: string): Error };
  const payload = Buffer.concat([Buffer.from([0xff, errno & 0xff, errno >> 8]), Buffer.from(`#${sqlState}${message}`)]);
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 1]);
  const buffer = Buffer.concat([header, payload]);
  return new Packet(1, buffer, 0, buffer.length).asError('utf8');
}

/** What mysql2 emits when the server closes the connection (base/connection.js builds it just so). */
function mysqlConnectionLost(): Error {
  return Object.assign(new Error('Connection lost: The server closed the connection.'), { fatal: true, code: 'PROTOCOL_CONNECTION_LOST' });
}

/** Node's own error for a refused TCP connection (nothing listens on port 1). */
function refusedConnection(): Promise<Error> {
  return new Promise((resolve) => {
    const socket = connect(1, '127.0.0.1');
    socket.on('error', (error) => resolve(error));
  });
}

/** kafkajs' protocol error for a Kafka error code, as its decoders throw it. */
function kafkaProtocolError(code: number): InstanceType<typeof kafkajs.KafkaJSProtocolError> {
  const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
  return new kafkajs.KafkaJSProtocolError(createErrorFromCode(code));
}

// kafkajs' type declarations lag behind its JavaScript: these constructors are typed as the code defines them
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause?: unknown }) => Error;
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const KafkaJSNoBrokerAvailableError = (kafkajs as unknown as { KafkaJSNoBrokerAvailableError: new () => Error }).KafkaJSNoBrokerAvailableError;

/** An Elasticsearch error response, as the client rejects with it. */
function responseError(statusCode: number, type: string): InstanceType<typeof es.ResponseError> {
  const body = { error: { type, reason: `${type} happened` }, status: statusCode };
  const meta = { body, statusCode, headers: {}, warnings: null, meta: {} } as unknown as ConstructorParameters<typeof es.ResponseError>[0];
  return new es.ResponseError(meta);
}

describe('classifyError: MySQL', () => {
  it('stops on a dropped or renamed column, naming the column in the fix', () => {
    const verdict = classifyError(mysqlError(1054, '42S22', "Unknown column 't.price' in 'SELECT'"));
    expect(verdict).toMatchObject({ kind: 'permanent', service: 'mysql', code: 'ER_BAD_FIELD_ERROR', reason: "Unknown column 't.price' in 'SELECT'" });
    expect(verdict.fix).toContain('the column "price" is no longer in the database');
  });

  it('stops on a dropped table, naming it', () => {
    const verdict = classifyError(mysqlError(1146, '42S02', "Table 'shop.items' doesn't exist"));
    expect(verdict).toMatchObject({ kind: 'permanent', code: 'ER_NO_SUCH_TABLE' });
    expect(verdict.fix).toContain('the table "shop.items" is no longer in the database');
  });

  it('stops on wrong credentials and missing privileges', () => {
    expect(classifyError(mysqlError(1045, '28000', "Access denied for user 'sluice'@'localhost' (using password: YES)"))).toMatchObject({
      kind: 'permanent',
      code: 'ER_ACCESS_DENIED_ERROR',
      fix: expect.stringContaining('check the user and password in source.mysql.url') as unknown,
    });
    for (const [errno, code, message] of [
      [1142, 'ER_TABLEACCESS_DENIED_ERROR', "SELECT command denied to user 'sluice'@'localhost' for table `shop`.`items`"],
      [1227, 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'Access denied; you need (at least one of) the RELOAD privilege(s) for this operation'],
      [1044, 'ER_DBACCESS_DENIED_ERROR', "Access denied for user 'sluice'@'%' to database 'shop'"],
    ] as const) {
      expect(classifyError(mysqlError(errno, '42000', message))).toMatchObject({ kind: 'permanent', code, fix: expect.stringContaining('grant') as unknown });
    }
  });

  it('stops on certificates that cannot be verified, from mysql2 and from kafkajs, with the TLS fix', () => {
    // mysql2 wraps the TLS handshake's error so; kafkajs' connection error carries the socket's code
    const mysqlHandshake = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'HANDSHAKE_SSL_ERROR', fatal: true });
    expect(classifyError(mysqlHandshake)).toMatchObject({ kind: 'permanent', fix: expect.stringContaining('check the TLS settings') as unknown });
    const kafkaTls = new kafkajs.KafkaJSConnectionError('Connection error: unable to verify the first certificate', { broker: '127.0.0.1:19094', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(classifyError(kafkaTls)).toMatchObject({ kind: 'permanent', service: 'kafka', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(classifyError(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:19094', code: 'ECONNREFUSED' }))).toMatchObject({ kind: 'transient' });
  });

  it('retries deadlocks, lock wait timeouts, lost connections and refused connections', async () => {
    expect(classifyError(mysqlError(1213, '40001', 'Deadlock found when trying to get lock; try restarting transaction'))).toMatchObject({ kind: 'transient', code: 'ER_LOCK_DEADLOCK' });
    expect(classifyError(mysqlError(1205, 'HY000', 'Lock wait timeout exceeded; try restarting transaction'))).toMatchObject({ kind: 'transient', code: 'ER_LOCK_WAIT_TIMEOUT' });
    expect(classifyError(mysqlConnectionLost())).toMatchObject({ kind: 'transient', service: 'mysql', code: 'PROTOCOL_CONNECTION_LOST' });
    expect(classifyError(await refusedConnection())).toMatchObject({ kind: 'transient', service: 'network', code: 'ECONNREFUSED' });
  });

  it('lets a cause decide under a wrapper that only says "retriable"', () => {
    const denied = mysqlError(1142, '42000', "SELECT command denied to user 'sluice'@'localhost' for table `shop`.`items`");
    expect(classifyError(new SluiceError('binlog stream failed', { retriable: true, cause: denied }))).toMatchObject({ kind: 'permanent', code: 'ER_TABLEACCESS_DENIED_ERROR' });
    expect(classifyError(new SluiceError('binlog stream failed', { retriable: true, cause: mysqlConnectionLost() }))).toMatchObject({ kind: 'transient' });
  });

  it('leaves other server errors unknown (retried within the policy)', () => {
    expect(classifyError(mysqlError(1317, '70100', 'Query execution was interrupted'))).toMatchObject({ kind: 'transient', code: 'ER_QUERY_INTERRUPTED' });
    expect(classifyError(mysqlError(1062, '23000', "Duplicate entry '1' for key 'PRIMARY'"))).toMatchObject({ kind: 'unknown', service: 'mysql', code: 'ER_DUP_ENTRY' });
  });
});

describe('classifyError: Kafka', () => {
  it('retries what passes: a leader not elected yet, a rebalance, a broker unreachable', () => {
    expect(classifyError(kafkaProtocolError(5))).toMatchObject({ kind: 'transient', service: 'kafka', code: 'LEADER_NOT_AVAILABLE' });
    expect(classifyError(kafkaProtocolError(27))).toMatchObject({ kind: 'transient', code: 'REBALANCE_IN_PROGRESS' });
    expect(classifyError(kafkaProtocolError(25))).toMatchObject({ kind: 'transient', code: 'UNKNOWN_MEMBER_ID' });
    const refused = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092', { broker: '127.0.0.1:19092', code: 'ECONNREFUSED' });
    expect(classifyError(refused)).toMatchObject({ kind: 'transient', code: 'KafkaJSConnectionError' });
    expect(classifyError(new KafkaJSNoBrokerAvailableError())).toMatchObject({ kind: 'transient' });
  });

  it('walks through KafkaJSNumberOfRetriesExceeded and KafkaJSNonRetriableError to the cause, as kafkajs wraps them', () => {
    const leader = kafkaProtocolError(5);
    expect(classifyError(new kafkajs.KafkaJSNumberOfRetriesExceeded(leader, { retryCount: 5, retryTime: 1000 }))).toMatchObject({ kind: 'transient', code: 'LEADER_NOT_AVAILABLE' });
    const denied = kafkaProtocolError(29);
    expect(classifyError(new KafkaJSNonRetriableError(denied, { cause: denied }))).toMatchObject({ kind: 'permanent', code: 'TOPIC_AUTHORIZATION_FAILED' });
    // exhausted retries of something unrecognised: kafkajs retried it, so it may still pass
    const other = new kafkajs.KafkaJSError('something odd');
    expect(classifyError(new kafkajs.KafkaJSNumberOfRetriesExceeded(other, { retryCount: 5, retryTime: 1000 })).kind).toBe('transient');
  });

  it('stops on authentication and authorization failures with the fix', () => {
    expect(classifyError(new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'))).toMatchObject({
      kind: 'permanent',
      service: 'kafka',
      fix: expect.stringContaining('Kafka credentials') as unknown,
    });
    expect(classifyError(kafkaProtocolError(58))).toMatchObject({ kind: 'permanent', code: 'SASL_AUTHENTICATION_FAILED' });
    expect(classifyError(kafkaProtocolError(30))).toMatchObject({ kind: 'permanent', code: 'GROUP_AUTHORIZATION_FAILED', fix: expect.stringContaining('ACLs') as unknown });
    expect(classifyError(kafkaProtocolError(38))).toMatchObject({ kind: 'permanent', code: 'INVALID_REPLICATION_FACTOR' });
  });

  it('looks into the per-topic errors of a createTopics answer (KafkaJSAggregateError)', () => {
    const { KafkaJSAggregateError, KafkaJSCreateTopicError } = kafkajs as unknown as {
      KafkaJSAggregateError: new (message: string, errors: Error[]) => Error;
      KafkaJSCreateTopicError: new (e: Error, topic: string) => Error;
    };
    const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
    const refused = new KafkaJSAggregateError('Topic creation errors', [new KafkaJSCreateTopicError(createErrorFromCode(38), 'shop.items')]);
    expect(classifyError(refused)).toMatchObject({ kind: 'permanent', service: 'kafka', code: 'INVALID_REPLICATION_FACTOR' });
    const exists = new KafkaJSAggregateError('Topic creation errors', [new KafkaJSCreateTopicError(createErrorFromCode(36), 'shop.items')]);
    expect(classifyError(exists).kind).toBe('unknown');
  });

  it('leaves other non-retriable kafkajs errors unknown', () => {
    expect(classifyError(new kafkajs.KafkaJSError('bad request', { retriable: false }))).toMatchObject({ kind: 'unknown', service: 'kafka' });
  });
});

describe('classifyError: Elasticsearch', () => {
  it('retries 429, 5xx, connection errors and timeouts', () => {
    expect(classifyError(responseError(429, 'circuit_breaking_exception'))).toMatchObject({ kind: 'transient', service: 'elasticsearch', code: '429' });
    expect(classifyError(responseError(503, 'unavailable_shards_exception'))).toMatchObject({ kind: 'transient', code: '503' });
    expect(classifyError(new es.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'))).toMatchObject({ kind: 'transient', code: 'ConnectionError' });
    expect(classifyError(new es.TimeoutError('Request timed out'))).toMatchObject({ kind: 'transient', code: 'TimeoutError' });
  });

  it('stops on 401, 403 and a refused mapping, with the fix', () => {
    expect(classifyError(responseError(401, 'security_exception'))).toMatchObject({ kind: 'permanent', code: '401', fix: expect.stringContaining('credentials') as unknown });
    expect(classifyError(responseError(403, 'security_exception'))).toMatchObject({ kind: 'permanent', code: '403', fix: expect.stringContaining('privileges') as unknown });
    expect(classifyError(responseError(400, 'mapper_parsing_exception'))).toMatchObject({ kind: 'permanent', code: '400 mapper_parsing_exception', fix: expect.stringContaining('mappings') as unknown });
    expect(classifyError(new es.ProductNotSupportedError('Elasticsearch'))).toMatchObject({ kind: 'permanent' });
  });

  it('leaves other statuses unknown', () => {
    expect(classifyError(responseError(404, 'index_not_found_exception'))).toMatchObject({ kind: 'unknown', code: '404' });
  });
});

describe('classifyError: OpenSearch client errors', () => {
  // @opensearch-project/opensearch is not a dependency yet: these have the shape its transport
  // gives its errors (the name, and `meta` with statusCode and body), not its classes
  const openSearchError = (name: string, meta: Record<string, unknown> = {}): Error => Object.assign(new Error(name), { name, meta });

  it('classifies them by name and meta.statusCode, like the Elasticsearch client', () => {
    expect(classifyError(openSearchError('ResponseError', { statusCode: 503, body: {} }))).toMatchObject({ kind: 'transient', code: '503' });
    expect(classifyError(openSearchError('ResponseError', { statusCode: 403, body: { error: { type: 'security_exception' } } }))).toMatchObject({ kind: 'permanent', code: '403' });
    expect(classifyError(openSearchError('ResponseError', { statusCode: 400, body: { error: { type: 'mapper_parsing_exception' } } }))).toMatchObject({ kind: 'permanent', code: '400 mapper_parsing_exception' });
    expect(classifyError(openSearchError('ConnectionError'))).toMatchObject({ kind: 'transient', code: 'ConnectionError' });
  });

  it('does not take any error named ResponseError for one: the transport meta must be there', () => {
    expect(classifyError(Object.assign(new Error('x'), { name: 'ResponseError' })).kind).toBe('unknown');
  });
});

describe('classifyError: sluice and the rest', () => {
  it('keeps the fix of PermanentError and ConfigurationError, and the retriable flag of other SluiceErrors', () => {
    expect(classifyError(new PermanentError('schema gone', 'restore it'))).toMatchObject({ kind: 'permanent', service: 'sluice', fix: 'restore it' });
    expect(classifyError(new ConfigurationError('bad key', 'fix the key'))).toMatchObject({ kind: 'permanent', fix: 'fix the key' });
    expect(classifyError(new SluiceError('busy', { retriable: true }))).toMatchObject({ kind: 'transient', service: 'sluice' });
    const purged = classifyError(new SluiceError('the binlog was purged'));
    expect(purged).toMatchObject({ kind: 'permanent', service: 'sluice' });
    expect(purged.fix).toBeUndefined();
  });

  it('calls programmer errors bugs, anywhere in the chain, and anything else unknown', () => {
    expect(classifyError(new TypeError('x is undefined')).kind).toBe('bug');
    expect(classifyError(new SluiceError('wrapped', { retriable: true, cause: new RangeError('bad') })).kind).toBe('bug');
    expect(classifyError(new Error('something'))).toEqual({ kind: 'unknown', reason: 'something' });
    expect(classifyError('text')).toEqual({ kind: 'unknown', reason: 'text' });
    expect(classifyError(undefined).kind).toBe('unknown');
  });

  it('ends on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(classifyError(a).kind).toBe('unknown');
  });

  it('isRetriableError: transient and unknown yes, permanent and bugs no', () => {
    expect(isRetriableError(kafkaProtocolError(5))).toBe(true);
    expect(isRetriableError(new Error('odd'))).toBe(true);
    expect(isRetriableError(mysqlError(1054, '42S22', "Unknown column 'x' in 'field list'"))).toBe(false);
    expect(isRetriableError(new TypeError('bug'))).toBe(false);
  });
});
