import { describe, expect, it } from 'vitest';
import { elasticsearchYml } from '../../../stack/services/elasticsearch.js';
import { kafkaServerProperties } from '../../../stack/services/kafka.js';
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
});
