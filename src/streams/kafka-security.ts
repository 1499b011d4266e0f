import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { ConfigurationError } from '../errors.js';

/** kafkajs' `ssl` and `sasl` options. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
}

/**
 * kafkajs' TLS and SASL options for a pipeline file's `kafka.ssl` and `kafka.sasl`, with the PEM
 * files read now (validation checked they are readable; one that vanished since is a
 * ConfigurationError naming the key).
 * SASL without `ssl` is allowed (SASL_PLAINTEXT) but sends PLAIN passwords in clear text.
 */
export function kafkaSecurity(kafka: PipelineConfig['kafka']): KafkaSecurity {
  const { ssl, sasl } = kafka;
  const tls: ConnectionOptions | boolean | undefined =
    typeof ssl === 'object'
      ? {
          ...(ssl.caFile === undefined ? {} : { ca: [readPem(ssl.caFile, 'kafka.ssl.caFile')] }),
          ...(ssl.certFile === undefined ? {} : { cert: readPem(ssl.certFile, 'kafka.ssl.certFile') }),
          ...(ssl.keyFile === undefined ? {} : { key: readPem(ssl.keyFile, 'kafka.ssl.keyFile') }),
          ...(ssl.keyPassword === undefined ? {} : { passphrase: ssl.keyPassword }),
          rejectUnauthorized: ssl.tlsVerify,
        }
      : ssl;
  return {
    ...(tls === undefined || tls === false ? {} : { ssl: tls }),
    ...(sasl === undefined ? {} : { sasl: saslOptions(sasl) }),
  };
}

function saslOptions(sasl: NonNullable<PipelineConfig['kafka']['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigurationError(`${key}: ${path} cannot be read`, `point ${key} at a readable PEM file`, { cause, context: { key } });
  }
}
