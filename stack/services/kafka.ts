import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { ENDPOINT_VARIABLES, LOCAL_STACK_PORTS } from '../../src/config/endpoints.js';
import { describeError } from '../../src/errors.js';
import { createKafka } from '../../src/streams/kafka-client.js';
import { javaHome } from '../host-tools.js';
import { runToCompletion, spawnDetached, type DetachedProcess } from '../processes.js';
import type { LocalService, ProbeResult, StackContext } from '../service.js';
import { giveToServiceAccount } from '../service-user.js';
import { SERVICE_VERSIONS, servicePaths } from '../settings.js';
import { STACK_SECURE_ACCOUNTS } from '../secure-accounts.js';
import { StackError } from '../stack-error.js';
import { tlsFiles } from '../tls-material.js';

/** Where the broker's SASL_SSL listener finds its certificates. */
export interface KafkaTlsSettings {
  readonly port: number;
  /** The server key and certificate chain in one PEM file. */
  readonly keystore: string;
  /** The CA certificate (PEM) client certificates are checked against. */
  readonly truststore: string;
}

/**
 * server.properties of a single combined broker + KRaft controller on loopback: a PLAINTEXT
 * listener and, with `tls`, a SASL_SSL listener accepting SCRAM-SHA-256/512 (users made after
 * the start) and PLAIN (the user below), client certificates requested but not required.
 */
export function kafkaServerProperties(dataDir: string, port: number, controllerPort: number, tls?: KafkaTlsSettings): string {
  const { kafkaPlain } = STACK_SECURE_ACCOUNTS;
  const secure =
    tls === undefined
      ? []
      : [
          'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
          `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${kafkaPlain.username}="${kafkaPlain.password}";`,
          'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'ssl.keystore.type=PEM',
          `ssl.keystore.location=${tls.keystore}`,
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${tls.truststore}`,
          'ssl.client.auth=requested',
        ];
  const listeners = [`PLAINTEXT://127.0.0.1:${port}`, ...(tls === undefined ? [] : [`SASL_SSL://127.0.0.1:${tls.port}`])];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${tls === undefined ? '' : ',SASL_SSL:SASL_SSL'}`,
    'inter.broker.listener.name=PLAINTEXT',
    ...secure,
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

const LOG4J2_CONSOLE = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = console',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.console.ref = console',
  'logger.kafka.name = kafka',
  'logger.kafka.level = warn',
  'logger.kafkaServer.name = kafka.server.KafkaRaftServer',
  'logger.kafkaServer.level = info',
  'logger.apache.name = org.apache.kafka',
  'logger.apache.level = warn',
  '',
].join('\n');

/** A single-node Kafka in KRaft mode, from Maven Central's kafka_2.13 artifact. */
export const kafkaService: LocalService = {
  name: 'kafka',
  endpointVariable: ENDPOINT_VARIABLES.kafkaBrokers,
  endpoint: (context) => context.endpoints.kafkaBrokers.join(','),
  port: LOCAL_STACK_PORTS.kafka,
  paths: (context) => servicePaths(context.stackDir, 'kafka'),
  // A broker holding many partitions loads each before it answers (about 4 minutes for 17,000 on
  // two cores), with its log silent for minutes at a time.
  startTimeoutMs: 600_000,
  stopGraceMs: 30_000,
  writesOwnPidFile: false,
  startFailureFix: 'read the log; a damaged metadata log can be reset with `npm run stack -- down --purge`',

  async probe(context): Promise<ProbeResult> {
    const admin = createKafka({
      brokers: context.endpoints.kafkaBrokers,
      clientId: 'sluice-stack-probe',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { healthy: true, details: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)` };
    } catch (error) {
      return { healthy: false, reason: describeError(error) };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async prepare(context): Promise<void> {
    const { home, data } = this.paths(context);
    const artifacts = await context.jvmArtifacts();
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'server.properties'), serverProperties(context));
    writeFileSync(join(home, 'log4j2.properties'), LOG4J2_CONSOLE);
    giveToServiceAccount(home, context.runAs);
    if (existsSync(join(data, 'meta.properties'))) return;
    const clusterId = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    const format = await runToCompletion(
      join(javaHome(), 'bin', 'java'),
      [...jvmArguments(home, artifacts.kafkaLibs), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(home, 'server.properties')],
      { runAs: context.runAs, cwd: home },
    );
    if (format.code !== 0) {
      throw new StackError('kafka', `formatting the KRaft storage failed (exit ${format.code})`, 'remove the data directory and retry: npm run stack -- down --purge', {
        logTail: format.output.split('\n').slice(-15).join('\n'),
      });
    }
  },

  configuration: (context) => serverProperties(context),

  async afterStart(context): Promise<void> {
    const { home } = this.paths(context);
    const artifacts = await context.jvmArtifacts();
    const { kafkaScram } = STACK_SECURE_ACCOUNTS;
    // one mechanism per request: Kafka refuses two credentials of a user in one request
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const result = await runToCompletion(
        join(javaHome(), 'bin', 'java'),
        [
          ...jvmArguments(home, artifacts.kafkaLibs),
          'kafka.admin.ConfigCommand',
          '--bootstrap-server',
          `127.0.0.1:${this.port}`,
          '--alter',
          '--add-config',
          `${mechanism}=[password=${kafkaScram.password}]`,
          '--entity-type',
          'users',
          '--entity-name',
          kafkaScram.username,
        ],
        { runAs: context.runAs, cwd: home },
      );
      if (result.code !== 0) {
        throw new StackError('kafka', `creating the ${mechanism} user ${kafkaScram.username} failed (exit ${result.code})`, 'read the output below; `npm run stack -- down --purge kafka` resets the broker', {
          logTail: result.output.split('\n').slice(-15).join('\n'),
        });
      }
    }
  },

  async start(context): Promise<DetachedProcess> {
    const { home, logFile } = this.paths(context);
    const artifacts = await context.jvmArtifacts();
    return spawnDetached(
      join(javaHome(), 'bin', 'java'),
      ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', ...jvmArguments(home, artifacts.kafkaLibs), 'kafka.Kafka', join(home, 'server.properties')],
      { logFile, cwd: home, runAs: context.runAs },
    );
  },
};

function serverProperties(context: StackContext): string {
  const { data } = kafkaService.paths(context);
  const tls = tlsFiles(context.stackDir);
  return kafkaServerProperties(data, kafkaService.port, LOCAL_STACK_PORTS.kafkaController, { port: LOCAL_STACK_PORTS.kafkaSecure, keystore: tls.serverKeystore, truststore: tls.caCert });
}

function jvmArguments(home: string, libs: string): string[] {
  return [
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
    `-Dsluice.kafka.version=${SERVICE_VERSIONS.kafka}`,
    '-cp',
    `${libs}/*`,
  ];
}
