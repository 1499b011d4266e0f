import type { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { createKafka } from '../streams/kafka-client.js';
import { kafkaSecurity } from '../streams/kafka-security.js';

/** The kafkajs client of a pipeline file: its brokers with its TLS and SASL settings. */
export function pipelineKafka(config: PipelineConfig, clientId: string, options: { readonly logLevel?: logLevel; readonly logger?: Logger } = {}): Kafka {
  return createKafka({ brokers: config.kafka.brokers, clientId, security: kafkaSecurity(config.kafka), ...options });
}
