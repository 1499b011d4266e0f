import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion } from '../processes.js';
import { StackError } from '../stack-error.js';

/** What differs between the single-node configurations of Elasticsearch and OpenSearch. */
export interface SearchNodeConfig {
  readonly clusterName: string;
  readonly nodeName: string;
  /** The service's folder: data/ and logs/ live in it. */
  readonly home: string;
  readonly port: number;
  readonly transportPort: number;
  /** Engine-specific lines, written after the network settings. */
  readonly extraLines?: readonly string[];
}

/**
 * The YAML configuration of a single search node on loopback (Elasticsearch and OpenSearch read
 * the same keys): data and logs in the service's folder, no disk watermarks, wildcard deletes
 * allowed (tests clean up by pattern).
 */
export function singleSearchNodeYml(config: SearchNodeConfig): string {
  return [
    `cluster.name: ${config.clusterName}`,
    `node.name: ${config.nodeName}`,
    `path.data: ${join(config.home, 'data')}`,
    `path.logs: ${join(config.home, 'logs')}`,
    'network.host: 127.0.0.1',
    `http.port: ${config.port}`,
    `transport.port: ${config.transportPort}`,
    'discovery.type: single-node',
    ...(config.extraLines ?? []),
    'action.destructive_requires_name: false',
    'cluster.routing.allocation.disk.threshold_enabled: false',
    '',
  ].join('\n');
}

/** Unzips a distribution archive into `home`; a failure throws a StackError of `service` with the unzip output. */
export async function unpackDistribution(service: string, zip: string, home: string, fix: string): Promise<void> {
  mkdirSync(home, { recursive: true });
  const unzip = await runToCompletion('unzip', ['-q', '-o', zip, '-d', home]);
  if (unzip.code !== 0) throw new StackError(service, `unzip of ${zip} failed`, fix, { logTail: unzip.output });
}
