import { Kafka, logLevel, type KafkaConfig, type logCreator, type RetryOptions } from 'kafkajs';
import type { KafkaSecurity } from './kafka-security.js';
import type { Logger } from 'pino';
import { fixKafkajsRequestQueue } from './kafkajs-request-queue.js';
import { reduceKafkajsEncoderCopies } from './kafkajs-encoder.js';
import { speedUpKafkajsRecordDecoding } from './kafkajs-record-decoder.js';
import { speedUpKafkajsRecordEncoding } from './kafkajs-record-encoder.js';

// every kafkajs client is made here: no connection opens before the idle timers, the request
// encoder and the record encoder and decoder are fixed
fixKafkajsRequestQueue();
reduceKafkajsEncoderCopies();
speedUpKafkajsRecordEncoding();
speedUpKafkajsRecordDecoding();

/** Settings for {@link createKafka}. */
export interface KafkaClientSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own log level; sluice logs what matters itself. Defaults to ERROR. */
  readonly logLevel?: logLevel;
  /** kafkajs' retry settings; tests inject short ones. */
  readonly retry?: RetryOptions;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** When given, kafkajs' log lines go to this logger (as a `kafkajs` child) instead of stdout. */
  readonly logger?: Logger;
  /** TLS and SASL (see kafkaSecurity); plain text when absent. */
  readonly security?: KafkaSecurity;
}

/**
 * A kafkajs log creator writing to a pino logger. kafkajs reports retriable broker conditions
 * (a coordinator still loading, a leader moving) as errors and retries them itself, so they are
 * logged as warnings; the error that finally fails an operation reaches sluice as an exception.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () => ({ level, log }) => {
    const { message, ...fields } = log;
    if (level === logLevel.ERROR || level === logLevel.WARN) child.warn(fields, message);
    else if (level === logLevel.INFO) child.debug(fields, message);
    else child.trace(fields, message);
  };
}

/** A kafkajs client for the given brokers. It opens no connection until a producer, consumer or admin connects. */
export function createKafka(settings: KafkaClientSettings): Kafka {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: settings.logLevel ?? logLevel.ERROR,
    connectionTimeout: settings.connectionTimeoutMs ?? 3_000,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    ...(settings.retry === undefined ? {} : { retry: settings.retry }),
    ...(settings.logger === undefined ? {} : { logCreator: pinoLogCreator(settings.logger) }),
    ...settings.security,
  };
  return new Kafka(config);
}
