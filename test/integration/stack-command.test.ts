import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { endpoints } from '../helpers/services.js';

const execFileAsync = promisify(execFile);

async function stack(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const result = await execFileAsync('node', ['--import', 'tsx', 'stack/cli.ts', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
    return { code: 0, ...result };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('stack command', () => {
  it('reports every service healthy once up, with its log file', async () => {
    const status = await stack(['status']);
    expect(status.code).toBe(0);
    for (const service of ['mariadb', 'kafka', 'elasticsearch', 'opensearch']) expect(status.stdout).toMatch(new RegExp(`^${service} +(already running|reused|external)`, 'm'));
    expect(status.stdout).toContain('export SLUICE_KAFKA_BROKERS=');
    expect(status.stdout).toContain('export SLUICE_OS_NODE=');
  });

  it('fails naming the service and the fix when a configured service is unreachable', async () => {
    const result = await stack(['up', 'elasticsearch'], { SLUICE_ES_NODE: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('elasticsearch: is not usable at http://127.0.0.1:9');
    expect(result.stderr).toContain('fix: start it, or unset SLUICE_ES_NODE to use the local stack');
  });

  it('refuses a node of the other engine for each engine service, naming what it is', async () => {
    const asOpenSearch = await stack(['up', 'opensearch'], { SLUICE_OS_NODE: endpoints.elasticsearchNode });
    expect(asOpenSearch.code).toBe(1);
    expect(asOpenSearch.stderr).toMatch(/opensearch: is not usable at .*: the node is Elasticsearch 8\.\d+\.\d+, not OpenSearch 2\.x or 3\.x/);
    expect(asOpenSearch.stderr).toContain('fix: point SLUICE_OS_NODE at an OpenSearch 2.x or 3.x node');
    const asElasticsearch = await stack(['up', 'elasticsearch'], { SLUICE_ES_NODE: endpoints.opensearchNode });
    expect(asElasticsearch.code).toBe(1);
    expect(asElasticsearch.stderr).toMatch(/elasticsearch: is not usable at .*: the node is OpenSearch [23]\.\d+\.\d+, not Elasticsearch 8\.x/);
  });

  it('fails naming the fix when the database rejects the credentials', async () => {
    const result = await stack(['up', 'mariadb'], { SLUICE_MYSQL_URL: 'mysql://sluice:wrong-password@127.0.0.1:13306' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mariadb: is not usable at mysql://sluice:***@127.0.0.1:13306');
    expect(result.stderr).toContain('access denied');
    expect(result.stderr).toContain('fix: check the user and password in SLUICE_MYSQL_URL');
    expect(result.stderr).not.toContain('wrong-password');
  });
});
