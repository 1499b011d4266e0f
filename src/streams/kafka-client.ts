import { Kafka, logLevel, type KafkaConfig, type RetryOptions } from 'kafkajs';

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
  };
  return new Kafka(config);
}
