import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LOCAL_STACK_PORTS } from '../../../src/config/endpoints.js';
import { PROJECT_ROOT, SERVICE_VERSIONS } from '../../../stack/settings.js';

interface ComposeFile {
  services: Record<string, { image: string; ports: string[]; command?: string[] }>;
}

const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile;

describe('docker-compose.yml', () => {
  it('runs the same Kafka and Elasticsearch versions as the native stack', () => {
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${SERVICE_VERSIONS.kafka}`);
    expect(compose.services.elasticsearch?.image).toBe(`docker.elastic.co/elasticsearch/elasticsearch:${SERVICE_VERSIONS.elasticsearch}`);
    expect(compose.services.mysql?.image).toBe('mysql:8.4');
    expect(compose.services.opensearch?.image).toBe(`opensearchproject/opensearch:${SERVICE_VERSIONS.opensearch}`);
  });

  it('publishes on the native stack ports, so the SLUICE_* defaults work with both', () => {
    expect(compose.services.mysql?.ports).toEqual([`127.0.0.1:${LOCAL_STACK_PORTS.mariadb}:3306`]);
    expect(compose.services.kafka?.ports).toEqual([`127.0.0.1:${LOCAL_STACK_PORTS.kafka}:${LOCAL_STACK_PORTS.kafka}`]);
    expect(compose.services.elasticsearch?.ports).toEqual([`127.0.0.1:${LOCAL_STACK_PORTS.elasticsearch}:9200`]);
    expect(compose.services.opensearch?.ports).toEqual([`127.0.0.1:${LOCAL_STACK_PORTS.opensearch}:9200`]);
  });

  it('configures MySQL for change capture: ROW binlog, full images and metadata, GTIDs', () => {
    expect(compose.services.mysql?.command).toEqual(
      expect.arrayContaining(['--binlog-format=ROW', '--binlog-row-image=FULL', '--binlog-row-metadata=FULL', '--gtid-mode=ON']),
    );
  });
});
