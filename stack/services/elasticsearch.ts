import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINT_VARIABLES, LOCAL_STACK_PORTS } from '../../src/config/endpoints.js';
import { javaHome } from '../host-tools.js';
import { spawnDetached, type DetachedProcess } from '../processes.js';
import type { LocalService, ProbeResult } from '../service.js';
import { giveToServiceAccount } from '../service-user.js';
import { PROJECT_ROOT, SERVICE_VERSIONS, servicePaths } from '../settings.js';
import { probeSearchEngine } from './engine-probe.js';
import { singleSearchNodeYml, unpackDistribution } from './search-node.js';

const CLUSTER_NAME = 'sluice-stack';

/** elasticsearch.yml of a single node on loopback, security off (no x-pack auth, plain HTTP). */
export function elasticsearchYml(home: string, port: number, transportPort: number): string {
  return singleSearchNodeYml({ clusterName: CLUSTER_NAME, nodeName: 'sluice-stack-1', home, port, transportPort, extraLines: ['xpack.security.enabled: false'] });
}

/**
 * Folders holding extra Elasticsearch modules (e.g. lang-painless and reindex copied from the
 * official distribution of the same version): $SLUICE_ES_MODULES_DIR, then
 * ../shared/elasticsearch/<version>/modules beside the project.
 */
export function extraModuleDirectories(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [env.SLUICE_ES_MODULES_DIR, join(PROJECT_ROOT, '..', 'shared', 'elasticsearch', SERVICE_VERSIONS.elasticsearch, 'modules')];
  return candidates.filter((dir): dir is string => dir !== undefined && dir !== '' && existsSync(dir));
}

/**
 * A single-node Elasticsearch 8 from Maven Central's integ-test-zip, run as an unprivileged user
 * (Elasticsearch refuses root) with a 1 GiB heap.
 */
export const elasticsearchService: LocalService = {
  name: 'elasticsearch',
  endpointVariable: ENDPOINT_VARIABLES.elasticsearchNode,
  endpoint: (context) => context.endpoints.elasticsearchNode,
  port: LOCAL_STACK_PORTS.elasticsearch,
  paths: (context) => servicePaths(context.stackDir, 'elasticsearch', join('logs', `${CLUSTER_NAME}.log`)),
  startTimeoutMs: 180_000,
  stopGraceMs: 60_000,
  writesOwnPidFile: true,
  startFailureFix: 'read the log; heap or disk problems show there, and `npm run stack -- down --purge` resets the node',

  probe: (context): Promise<ProbeResult> => probeSearchEngine('elasticsearch', context.endpoints.elasticsearchNode),

  async prepare(context): Promise<void> {
    const { home } = this.paths(context);
    const distribution = distributionHome(home);
    if (!existsSync(join(distribution, 'bin', 'elasticsearch'))) {
      const artifacts = await context.jvmArtifacts();
      await unpackDistribution('elasticsearch', artifacts.elasticsearchZip, home, "delete the stack directory's artifacts folder and retry");
    }
    for (const dir of ['data', 'logs', 'tmp']) mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(distribution, 'config', 'elasticsearch.yml'), elasticsearchYml(home, this.port, LOCAL_STACK_PORTS.elasticsearchTransport));
    writeFileSync(join(distribution, 'config', 'jvm.options.d', 'sluice-heap.options'), '-Xms1g\n-Xmx1g\n');
    for (const source of extraModuleDirectories()) {
      for (const module of readdirSync(source)) {
        const target = join(distribution, 'modules', module);
        if (!existsSync(target)) cpSync(join(source, module), target, { recursive: true });
      }
    }
    giveToServiceAccount(home, context.runAs);
  },

  start(context): Promise<DetachedProcess> {
    const { home, pidFile } = this.paths(context);
    const distribution = distributionHome(home);
    return Promise.resolve(
      spawnDetached(join(distribution, 'bin', 'elasticsearch'), ['-d', '-p', pidFile], {
        logFile: join(home, 'launcher.log'),
        cwd: distribution,
        runAs: context.runAs,
        env: { ES_JAVA_HOME: javaHome(), ES_TMPDIR: join(home, 'tmp'), ES_JAVA_OPTS: '' },
      }),
    );
  },
};

function distributionHome(home: string): string {
  return join(home, `elasticsearch-${SERVICE_VERSIONS.elasticsearch}`);
}

