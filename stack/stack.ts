import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointsFromEnvironment, LOCAL_STACK_ENDPOINTS, type ServiceEndpoints } from '../src/config/endpoints.js';
import { fetchJvmArtifacts, type JvmArtifacts } from './artifacts.js';
import { ensureHostTools } from './host-tools.js';
import { withStackLock, type LockHolder } from './lock.js';
import { isOurProcess, isPortOpen, readPidFile, removePidFile, stopProcess, tailOfFile, writePidFile } from './processes.js';
import type { LocalService, ProbeResult, StackContext } from './service.js';
import { serviceAccount } from './service-user.js';
import { fetchOpenSearchArtifacts, type OpenSearchArtifacts } from './opensearch-artifacts.js';
import { elasticsearchService } from './services/elasticsearch.js';
import { kafkaService } from './services/kafka.js';
import { mariadbService } from './services/mariadb.js';
import { opensearchService } from './services/opensearch.js';
import { runsAsRoot, stackDirectory } from './settings.js';
import { StackError } from './stack-error.js';
import { ensureTlsMaterial } from './tls-material.js';

/** The services of the local stack, in start order. */
export const LOCAL_SERVICES: readonly LocalService[] = [mariadbService, kafkaService, elasticsearchService, opensearchService];

/** How a service stands after `up` or in `status`. */
export interface ServiceReport {
  readonly service: string;
  readonly state: 'started' | 'already running' | 'reused (not started by the stack)' | 'external' | 'stopped' | 'not running' | 'unhealthy';
  readonly endpoint: string;
  readonly pid?: number;
  readonly logFile?: string;
  readonly details?: string;
  readonly warnings?: readonly string[];
}

/** Builds the context shared by the services; `env` decides the stack folder and external endpoints. */
export function createStackContext(env: NodeJS.ProcessEnv = process.env): StackContext {
  const isRoot = runsAsRoot();
  const stackDir = stackDirectory(env, isRoot);
  let artifacts: Promise<JvmArtifacts> | undefined;
  let openSearch: Promise<OpenSearchArtifacts> | undefined;
  return {
    stackDir,
    isRoot,
    runAs: undefined,
    endpoints: endpointsFromEnvironment(env),
    jvmArtifacts: () => (artifacts ??= fetchJvmArtifacts(stackDir)),
    openSearchArtifacts: () => (openSearch ??= fetchOpenSearchArtifacts(stackDir)),
  };
}

/** True when the environment points this service somewhere else than the local stack. */
export function isExternal(service: LocalService, endpoints: ServiceEndpoints): boolean {
  switch (service.name) {
    case 'mariadb':
      return endpoints.mysqlUrl !== LOCAL_STACK_ENDPOINTS.mysqlUrl;
    case 'kafka':
      return endpoints.kafkaBrokers.join(',') !== LOCAL_STACK_ENDPOINTS.kafkaBrokers.join(',');
    case 'elasticsearch':
      return endpoints.elasticsearchNode !== LOCAL_STACK_ENDPOINTS.elasticsearchNode;
    case 'opensearch':
      return endpoints.opensearchNode !== LOCAL_STACK_ENDPOINTS.opensearchNode;
  }
}

/** Tells the user why the command pauses. */
function announceWait(holder: LockHolder): void {
  process.stderr.write(`stack: waiting for another stack command (pid ${holder.pid}, \`${holder.command}\` since ${holder.since})\n`);
}

/**
 * Starts every selected service that is not running yet (reusing running ones), waits until each
 * is healthy and returns how each stands. Fails with a StackError naming the service, its log
 * file and the likely fix. Holds the stack lock throughout: a concurrent `up` waits, then finds
 * the services running.
 */
export function stackUp(baseContext: StackContext, services: readonly LocalService[] = LOCAL_SERVICES): Promise<ServiceReport[]> {
  return withStackLock(baseContext.stackDir, { command: 'up', onWait: announceWait }, () => upLocked(baseContext, services));
}

async function upLocked(baseContext: StackContext, services: readonly LocalService[]): Promise<ServiceReport[]> {
  const managed = services.filter((service) => !isExternal(service, baseContext.endpoints));
  await ensureHostTools(new Set(managed.map((service) => service.name)), baseContext.isRoot);
  // one Maven run at a time: they share the local repository
  if (managed.some((service) => service.name === 'kafka' || service.name === 'elasticsearch')) await baseContext.jvmArtifacts();
  if (managed.some((service) => service.name === 'opensearch')) await baseContext.openSearchArtifacts();
  // MariaDB and Kafka serve TLS with the stack's own CA
  if (managed.some((service) => service.name === 'mariadb' || service.name === 'kafka')) await ensureTlsMaterial(baseContext.stackDir, serviceAccount(baseContext.isRoot, baseContext.stackDir));
  return Promise.all(
    services.map((service) => bringUp(service, { ...baseContext, runAs: serviceAccount(baseContext.isRoot, baseContext.stackDir, service.account) })),
  );
}

async function bringUp(service: LocalService, context: StackContext): Promise<ServiceReport> {
  const endpoint = service.endpoint(context);
  if (isExternal(service, context.endpoints)) {
    const probe = await service.probe(context);
    if (!probe.healthy) throw unhealthyError(service, probe, `is not usable at ${endpoint}`, `start it, or unset ${service.endpointVariable} to use the local stack`);
    return { service: service.name, state: 'external', endpoint, details: probe.details, warnings: probe.warnings ?? [] };
  }
  const paths = service.paths(context);
  const recorded = readPidFile(paths.pidFile);
  let restartedFor: string | undefined;
  if (recorded !== undefined && (await isOurProcess(recorded, context.stackDir))) {
    if (configurationChanged(service, context)) {
      process.stderr.write(`stack: ${service.name} runs with an older configuration: restarting it\n`);
      await stopProcess(recorded, context.stackDir, service.stopGraceMs);
      restartedFor = 'restarted: its configuration changed';
    } else {
      const probe = await waitUntilHealthy(service, context, () => null);
      return { service: service.name, state: 'already running', endpoint, pid: recorded, logFile: paths.logFile, details: probe.details, warnings: probe.warnings ?? [] };
    }
  }
  removePidFile(paths.pidFile);
  if (await isPortOpen(service.port)) {
    const probe = await service.probe(context);
    if (!probe.healthy) {
      throw new StackError(service.name, `port ${service.port} is taken by another program that is not a healthy ${service.name}`, `stop the program listening on ${service.port} (ss -ltnp 'sport = :${service.port}'), or set ${service.endpointVariable} to a running ${service.name}`);
    }
    return { service: service.name, state: 'reused (not started by the stack)', endpoint, details: probe.details, warnings: probe.warnings ?? [] };
  }
  await service.prepare(context);
  const started = await service.start(context);
  if (!service.writesOwnPidFile) writePidFile(paths.pidFile, started.pid);
  const diedWhileStarting = (): number | null => {
    const code = started.exitCode();
    return code !== null && (code !== 0 || !service.writesOwnPidFile) ? code : null;
  };
  const probe = await waitUntilHealthy(service, context, diedWhileStarting);
  await service.afterStart?.(context);
  recordConfiguration(service, context);
  const details = restartedFor === undefined ? probe.details : `${probe.details} (${restartedFor})`;
  return { service: service.name, state: 'started', endpoint, pid: readPidFile(paths.pidFile) ?? started.pid, logFile: paths.logFile, details, warnings: probe.warnings ?? [] };
}

/** The file beside the pid file that holds the configuration a running service was started with. */
function configurationFile(service: LocalService, context: StackContext): string {
  return `${service.paths(context).pidFile}.configuration`;
}

function configurationChanged(service: LocalService, context: StackContext): boolean {
  if (service.configuration === undefined) return false;
  const file = configurationFile(service, context);
  return !existsSync(file) || readFileSync(file, 'utf8') !== service.configuration(context);
}

function recordConfiguration(service: LocalService, context: StackContext): void {
  if (service.configuration !== undefined) writeFileSync(configurationFile(service, context), service.configuration(context));
}

async function waitUntilHealthy(service: LocalService, context: StackContext, diedWhileStarting: () => number | null): Promise<ProbeResult & { healthy: true }> {
  const { logFile, pidFile } = service.paths(context);
  const deadline = Date.now() + service.startTimeoutMs;
  for (;;) {
    const probe = await service.probe(context);
    if (probe.healthy) return probe;
    if (probe.misconfiguration !== undefined) throw unhealthyError(service, probe, 'is misconfigured', probe.misconfiguration.fix, logFile);
    const exitCode = diedWhileStarting();
    if (exitCode !== null) {
      removePidFile(pidFile);
      throw new StackError(service.name, `exited with code ${exitCode} while starting`, service.startFailureFix, { logFile, logTail: tailOfFile(logFile) });
    }
    if (Date.now() > deadline) {
      throw new StackError(service.name, `not healthy after ${service.startTimeoutMs / 1000} s (${probe.reason})`, service.startFailureFix, {
        logFile,
        logTail: tailOfFile(logFile),
      });
    }
    await sleep(500);
  }
}

function unhealthyError(service: LocalService, probe: ProbeResult & { healthy: false }, what: string, fix: string, logFile?: string): StackError {
  const problem = probe.misconfiguration?.problem ?? probe.reason;
  return new StackError(service.name, `${what}: ${problem}`, probe.misconfiguration?.fix ?? fix, logFile === undefined ? {} : { logFile });
}

/**
 * Stops the services this stack started (those with a pid file whose process is ours), never
 * anything else. With `purge`, also deletes their data. Waits for a running `up` (the stack lock).
 */
export function stackDown(context: StackContext, options: { purge?: boolean; services?: readonly LocalService[] } = {}): Promise<ServiceReport[]> {
  return withStackLock(context.stackDir, { command: options.purge === true ? 'down --purge' : 'down', onWait: announceWait }, () => downLocked(context, options));
}

async function downLocked(context: StackContext, options: { purge?: boolean; services?: readonly LocalService[] }): Promise<ServiceReport[]> {
  const reports: ServiceReport[] = [];
  for (const service of [...(options.services ?? LOCAL_SERVICES)].reverse()) {
    const paths = service.paths(context);
    const pid = readPidFile(paths.pidFile);
    const outcome = pid === undefined ? 'absent' : await stopProcess(pid, context.stackDir, service.stopGraceMs);
    removePidFile(paths.pidFile);
    if (options.purge === true) rmSync(paths.home, { recursive: true, force: true });
    reports.push({
      service: service.name,
      state: outcome === 'absent' ? 'not running' : 'stopped',
      endpoint: service.endpoint(context),
      ...(pid === undefined ? {} : { pid }),
      details: outcome === 'killed' ? 'did not stop within its grace period: killed' : options.purge === true ? 'data purged' : '',
    });
  }
  return reports.reverse();
}

/** How each service stands now, without starting anything. */
export async function stackStatus(context: StackContext): Promise<ServiceReport[]> {
  return Promise.all(
    LOCAL_SERVICES.map(async (service): Promise<ServiceReport> => {
      const endpoint = service.endpoint(context);
      const paths = service.paths(context);
      const pid = readPidFile(paths.pidFile);
      const ours = pid !== undefined && (await isOurProcess(pid, context.stackDir));
      const probe = await service.probe(context);
      const state: ServiceReport['state'] = isExternal(service, context.endpoints)
        ? 'external'
        : probe.healthy
          ? ours
            ? 'already running'
            : 'reused (not started by the stack)'
          : ours
            ? 'unhealthy'
            : 'not running';
      return {
        service: service.name,
        state,
        endpoint,
        ...(ours ? { pid } : {}),
        logFile: paths.logFile,
        details: probe.healthy ? probe.details : probe.reason,
        warnings: probe.healthy ? (probe.warnings ?? []) : [],
      };
    }),
  );
}
