import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINT_VARIABLES, LOCAL_STACK_PORTS } from '../../src/config/endpoints.js';
import { javaHome } from '../host-tools.js';
import { moduleJars, OPENSEARCH_MODULES, type OpenSearchModule } from '../opensearch-artifacts.js';
import { spawnDetached, type DetachedProcess } from '../processes.js';
import type { LocalService, ProbeResult } from '../service.js';
import { giveToServiceAccount } from '../service-user.js';
import { SERVICE_VERSIONS, servicePaths } from '../settings.js';
import { StackError } from '../stack-error.js';
import { probeSearchEngine } from './engine-probe.js';
import { singleSearchNodeYml, unpackDistribution } from './search-node.js';

const CLUSTER_NAME = 'sluice-opensearch';

/** opensearch.yml of a single node on loopback (the integ-test-zip has no security plugin). */
export function opensearchYml(home: string, port: number, transportPort: number): string {
  return singleSearchNodeYml({ clusterName: CLUSTER_NAME, nodeName: 'sluice-opensearch-1', home, port, transportPort });
}

/** plugin-descriptor.properties of a module (keys checked against OpenSearch's PluginInfo). */
export function pluginDescriptor(module: OpenSearchModule, version: string, installed: ReadonlySet<string>): string {
  const major = majorOf(version);
  return [
    `description=${module.description}`,
    `version=${version}`,
    `name=${module.name}`,
    `classname=${major >= 3 ? module.classNames[1] : module.classNames[0]}`,
    `java.version=${major >= 3 ? 21 : 11}`,
    `opensearch.version=${version}`,
    'custom.foldername=',
    // extending a module that is not installed fails the node ("Missing plugin [lang-painless]")
    `extended.plugins=${installed.has(module.extends) ? module.extends : ''}`,
    'has.native.controller=false',
    '',
  ].join('\n');
}

/**
 * plugin-security.policy of a module, from modules/<name>/src/main/plugin-metadata in the
 * OpenSearch source tree; undefined for modules that have none. A `${codebase.X}` grant is only
 * written for a jar that is in the folder (an unknown codebase breaks the policy).
 */
export function pluginSecurityPolicy(name: string, jars: readonly string[]): string | undefined {
  switch (name) {
    case 'lang-painless':
      return 'grant {\n  permission java.lang.RuntimePermission "createClassLoader";\n  permission java.lang.RuntimePermission "getClassLoader";\n};\n';
    case 'reindex': {
      const codebases = ['opensearch-rest-client', 'httpasyncclient', 'httpclient5'].filter((jar) => jars.some((file) => artifactIdOf(file) === jar));
      return [
        'grant {\n  permission java.net.SocketPermission "*", "connect";\n};',
        ...codebases.map((jar) => `grant codeBase "\${codebase.${jar}}" {\n  permission java.net.NetPermission "getProxySelector";\n};`),
        '',
      ].join('\n');
    }
    case 'lang-mustache':
      return 'grant {\n  permission java.lang.RuntimePermission "accessDeclaredMembers";\n};\n';
    default:
      return undefined;
  }
}

/** "httpclient5-5.4.4.jar" -> "httpclient5". */
export function artifactIdOf(jarFile: string): string {
  return jarFile.replace(/\.jar$/, '').replace(/-[0-9][0-9A-Za-z._-]*$/, '');
}

/**
 * A single-node OpenSearch from Maven Central: the integ-test-zip plus the module jars
 * (lang-painless, reindex, analysis-common…) with their plugin descriptors and security policies,
 * run as its own unprivileged user (OpenSearch refuses root) with a 512 MiB heap.
 */
export const opensearchService: LocalService = {
  name: 'opensearch',
  endpointVariable: ENDPOINT_VARIABLES.opensearchNode,
  endpoint: (context) => context.endpoints.opensearchNode,
  port: LOCAL_STACK_PORTS.opensearch,
  paths: (context) => servicePaths(context.stackDir, 'opensearch', join('logs', `${CLUSTER_NAME}.log`)),
  account: 'sluice-opensearch',
  startTimeoutMs: 180_000,
  stopGraceMs: 60_000,
  writesOwnPidFile: true,
  startFailureFix: 'read the log; heap or disk problems show there, and `npm run stack -- down --purge opensearch` resets the node',

  probe: (context): Promise<ProbeResult> => probeSearchEngine('opensearch', context.endpoints.opensearchNode),

  async prepare(context): Promise<void> {
    const { home } = this.paths(context);
    const version = SERVICE_VERSIONS.opensearch;
    const distribution = distributionHome(home);
    const artifacts = await context.openSearchArtifacts();
    if (!existsSync(join(distribution, 'bin', 'opensearch'))) {
      await unpackDistribution('opensearch', artifacts.zip, home, "delete the stack directory's artifacts/opensearch-* folder and retry");
    }
    installModules(distribution, artifacts.modulesDir, version);
    for (const dir of ['data', 'logs', 'tmp']) mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(distribution, 'config', 'opensearch.yml'), opensearchYml(home, this.port, LOCAL_STACK_PORTS.opensearchTransport));
    mkdirSync(join(distribution, 'config', 'jvm.options.d'), { recursive: true });
    writeFileSync(join(distribution, 'config', 'jvm.options.d', 'sluice-heap.options'), '-Xms512m\n-Xmx512m\n');
    // the node writes config/opensearch.keystore and, relative to its home, logs/gc.log
    giveToServiceAccount(home, context.runAs);
  },

  start(context): Promise<DetachedProcess> {
    const { home, pidFile } = this.paths(context);
    const distribution = distributionHome(home);
    return Promise.resolve(
      spawnDetached(join(distribution, 'bin', 'opensearch'), ['-d', '-p', pidFile], {
        logFile: join(home, 'launcher.log'),
        cwd: distribution,
        runAs: context.runAs,
        env: {
          OPENSEARCH_JAVA_HOME: openSearchJavaHome(SERVICE_VERSIONS.opensearch),
          OPENSEARCH_PATH_CONF: join(distribution, 'config'),
          OPENSEARCH_TMPDIR: join(home, 'tmp'),
          OPENSEARCH_JAVA_OPTS: '',
        },
      }),
    );
  },
};

/**
 * Copies the fetched module jars into modules/<name>, leaving out jars the server's lib/ already
 * has (same artifactId) and, for modules extending another, jars of the parent's folder (jar hell
 * across parent and child class loaders), then writes each descriptor and policy.
 */
function installModules(distribution: string, modulesDir: string, version: string): void {
  const libArtifacts = new Set(readdirSync(join(distribution, 'lib')).filter((file) => file.endsWith('.jar')).map(artifactIdOf));
  const installed = new Set(OPENSEARCH_MODULES.map((module) => module.name));
  for (const module of OPENSEARCH_MODULES) {
    const target = join(distribution, 'modules', module.name);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    const parent = installed.has(module.extends) ? join(distribution, 'modules', module.extends) : undefined;
    const jars = moduleJars(modulesDir, module.name).filter(
      (jar) => !libArtifacts.has(artifactIdOf(jar)) && (parent === undefined || !existsSync(join(parent, jar))),
    );
    for (const jar of jars) copyFileSync(join(modulesDir, module.name, jar), join(target, jar));
    writeFileSync(join(target, 'plugin-descriptor.properties'), pluginDescriptor(module, version, installed));
    const policy = pluginSecurityPolicy(module.name, jars);
    if (policy !== undefined) writeFileSync(join(target, 'plugin-security.policy'), policy);
  }
}

/**
 * The JDK OpenSearch runs on: $SLUICE_OS_JAVA_HOME, else the `java` on the PATH when its major
 * suits the version (2.x: 11 to 23, its security manager is gone in 24; 3.x: 21 or newer), else a
 * suitable JDK under /usr/lib/jvm.
 */
export function openSearchJavaHome(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SLUICE_OS_JAVA_HOME?.trim();
  if (configured !== undefined && configured !== '') return configured;
  const suits = (major: number | undefined): boolean => major !== undefined && (majorOf(version) >= 3 ? major >= 21 : major >= 11 && major <= 23);
  const onPath = javaHome();
  if (suits(javaMajor(onPath))) return onPath;
  const installed = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm').map((dir) => join('/usr/lib/jvm', dir)) : [];
  const candidate = installed.find((home) => existsSync(join(home, 'bin', 'java')) && suits(javaMajor(home)));
  if (candidate !== undefined) return candidate;
  throw new StackError(
    'opensearch',
    `no JDK for OpenSearch ${version} (the java on the PATH is ${javaMajor(onPath) ?? 'of unknown version'})`,
    majorOf(version) >= 3 ? 'install a JDK 21 or newer, or set SLUICE_OS_JAVA_HOME' : 'install a JDK 17: apt-get install -y openjdk-17-jre-headless, or set SLUICE_OS_JAVA_HOME',
  );
}

function javaMajor(home: string): number | undefined {
  try {
    const match = /JAVA_VERSION="(\d+)/.exec(readFileSync(join(home, 'release'), 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

function distributionHome(home: string): string {
  return join(home, `opensearch-${SERVICE_VERSIONS.opensearch}`);
}
