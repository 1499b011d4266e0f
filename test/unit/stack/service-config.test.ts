import { describe, expect, it } from 'vitest';
import { elasticsearchYml } from '../../../stack/services/elasticsearch.js';
import { kafkaServerProperties } from '../../../stack/services/kafka.js';
import { aggregatorPom, modulePom, OPENSEARCH_MODULES } from '../../../stack/opensearch-artifacts.js';
import { artifactIdOf, opensearchYml, pluginDescriptor, pluginSecurityPolicy } from '../../../stack/services/opensearch.js';
import { mariadbServerArguments } from '../../../stack/services/mariadb.js';
import { servicePaths, stackDirectory } from '../../../stack/settings.js';

function properties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('local stack configuration', () => {
  it('runs MariaDB on loopback with a ROW binlog, full row images and metadata', () => {
    const args = mariadbServerArguments('/s/mariadb', 13306);
    expect(args).toEqual(
      expect.arrayContaining([
        '--no-defaults',
        '--port=13306',
        '--bind-address=127.0.0.1',
        '--datadir=/s/mariadb/data',
        '--log-bin=/s/mariadb/data/binlog',
        '--binlog-format=ROW',
        '--binlog-row-image=FULL',
        '--binlog-row-metadata=FULL',
        '--server-id=1',
        '--default-time-zone=+00:00',
      ]),
    );
  });

  it('runs Kafka as one KRaft broker+controller on loopback with single-replica internal topics', () => {
    const config = properties(kafkaServerProperties('/s/kafka/data', 19092, 19093));
    expect(config).toMatchObject({
      'process.roles': 'broker,controller',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092',
      'log.dirs': '/s/kafka/data',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
    });
  });

  it('adds a SASL_SSL listener with SCRAM and PLAIN and a PEM keystore when given certificates', () => {
    const config = properties(kafkaServerProperties('/s/kafka/data', 19092, 19093, { port: 19094, keystore: '/s/tls/server-keystore.pem', truststore: '/s/tls/ca.pem' }));
    expect(config).toMatchObject({
      listeners: 'PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name': 'PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': '/s/tls/server-keystore.pem',
      'ssl.truststore.location': '/s/tls/ca.pem',
    });
    expect(config['listener.name.sasl_ssl.plain.sasl.jaas.config']).toContain('PlainLoginModule required user_sluice-plain=');
  });

  it('serves TLS from MariaDB when given certificates', () => {
    const args = mariadbServerArguments('/s/mariadb', 13306, { caCert: '/s/tls/ca.pem', serverCert: '/s/tls/server.pem', serverKey: '/s/tls/server.key' });
    expect(args).toEqual(expect.arrayContaining(['--ssl-ca=/s/tls/ca.pem', '--ssl-cert=/s/tls/server.pem', '--ssl-key=/s/tls/server.key']));
    expect(mariadbServerArguments('/s/mariadb', 13306).some((arg) => arg.startsWith('--ssl'))).toBe(false);
  });

  it('runs Elasticsearch as a single node on loopback without security', () => {
    const yml = elasticsearchYml('/s/es', 19200, 19300);
    for (const line of ['network.host: 127.0.0.1', 'http.port: 19200', 'discovery.type: single-node', 'xpack.security.enabled: false', 'path.data: /s/es/data']) {
      expect(yml.split('\n')).toContain(line);
    }
  });

  it('keeps state in SLUICE_STACK_DIR, /var/lib for root, XDG state otherwise', () => {
    expect(stackDirectory({ SLUICE_STACK_DIR: '/tmp/x' }, false)).toBe('/tmp/x');
    expect(stackDirectory({}, true)).toBe('/var/lib/sluice-stack');
    expect(stackDirectory({ XDG_STATE_HOME: '/home/u/.state' }, false)).toBe('/home/u/.state/sluice-stack');
    expect(servicePaths('/s', 'kafka')).toEqual({ home: '/s/kafka', data: '/s/kafka/data', logFile: '/s/kafka/kafka.log', pidFile: '/s/kafka/kafka.pid' });
  });

  it('runs OpenSearch as a single node on loopback on its own ports', () => {
    const yml = opensearchYml('/s/os', 19201, 19301).split('\n');
    for (const line of ['network.host: 127.0.0.1', 'http.port: 19201', 'transport.port: 19301', 'discovery.type: single-node', 'path.data: /s/os/data']) {
      expect(yml).toContain(line);
    }
  });

  it('describes OpenSearch modules with the class of the major and painless as the parent of its extensions', () => {
    const byName = (name: string) => OPENSEARCH_MODULES.find((module) => module.name === name)!;
    const all = new Set(OPENSEARCH_MODULES.map((module) => module.name));
    const analysis2 = properties(pluginDescriptor(byName('analysis-common'), '2.19.6', all));
    expect(analysis2).toMatchObject({
      name: 'analysis-common',
      classname: 'org.opensearch.analysis.common.CommonAnalysisPlugin',
      'java.version': '11',
      'opensearch.version': '2.19.6',
      'extended.plugins': 'lang-painless',
    });
    expect(properties(pluginDescriptor(byName('lang-painless'), '3.3.2', all))).toMatchObject({ classname: 'org.opensearch.painless.PainlessModulePlugin', 'java.version': '21' });
    // without painless installed, extending it would stop the node
    expect(properties(pluginDescriptor(byName('ingest-common'), '2.19.6', new Set(['ingest-common'])))['extended.plugins']).toBe('');
    expect(OPENSEARCH_MODULES[0]?.name).toBe('lang-painless');
  });

  it('grants module permissions only for jars that are present', () => {
    expect(pluginSecurityPolicy('lang-painless', [])).toContain('"getClassLoader"');
    const reindex2 = pluginSecurityPolicy('reindex', ['opensearch-rest-client-2.19.6.jar', 'httpasyncclient-4.1.5.jar', 'httpcore-4.4.16.jar'])!;
    expect(reindex2).toContain('${codebase.opensearch-rest-client}');
    expect(reindex2).toContain('${codebase.httpasyncclient}');
    expect(reindex2).not.toContain('httpclient5');
    expect(pluginSecurityPolicy('analysis-common', ['analysis-common-2.19.6.jar'])).toBeUndefined();
    expect(artifactIdOf('httpclient5-5.4.4.jar')).toBe('httpclient5');
    expect(artifactIdOf('netty-codec-4.1.135.Final.jar')).toBe('netty-codec');
  });

  it('resolves every OpenSearch module in one Maven run without the server jar', () => {
    expect(aggregatorPom(OPENSEARCH_MODULES)).toContain('<module>reindex</module>');
    const pom = modulePom(OPENSEARCH_MODULES[1], '2.19.6', '/out/reindex');
    expect(pom).toContain('<artifactId>reindex-client</artifactId><version>2.19.6</version>');
    expect(pom).toContain('<exclusion><groupId>org.opensearch</groupId><artifactId>opensearch</artifactId></exclusion>');
    expect(pom).toContain('<outputDirectory>/out/reindex</outputDirectory>');
  });
});
