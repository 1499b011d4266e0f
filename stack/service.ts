import type { ServiceEndpoints } from '../src/config/endpoints.js';
import type { JvmArtifacts } from './artifacts.js';
import type { OpenSearchArtifacts } from './opensearch-artifacts.js';
import type { DetachedProcess, RunAs } from './processes.js';
import type { ServicePaths } from './settings.js';

/** What every service of the stack sees while it is prepared, started and probed. */
export interface StackContext {
  readonly stackDir: string;
  readonly isRoot: boolean;
  /** The account services run as; undefined = the current user. */
  readonly runAs: RunAs | undefined;
  readonly endpoints: ServiceEndpoints;
  /** Fetches (or finds cached) Kafka and Elasticsearch. */
  readonly jvmArtifacts: () => Promise<JvmArtifacts>;
  /** Fetches (or finds cached) OpenSearch and its modules. */
  readonly openSearchArtifacts: () => Promise<OpenSearchArtifacts>;
}

/** The answer of a health probe. */
export type ProbeResult =
  | { readonly healthy: true; readonly details: string; readonly warnings?: readonly string[] }
  | { readonly healthy: false; readonly reason: string; readonly misconfiguration?: { readonly problem: string; readonly fix: string } };

/** One service of the local stack: how to install, start, recognise and probe it. */
export interface LocalService {
  readonly name: 'mariadb' | 'kafka' | 'elasticsearch' | 'opensearch';
  /** The environment variable that points sluice at an existing service instead. */
  readonly endpointVariable: string;
  /** The printable endpoint in force. */
  endpoint(context: StackContext): string;
  readonly port: number;
  paths(context: StackContext): ServicePaths;
  /** The unprivileged account it runs as when the stack runs as root (default: the stack's own). */
  readonly account?: string;
  readonly startTimeoutMs: number;
  readonly stopGraceMs: number;
  /** True when the service writes its own pid file (Elasticsearch daemonises). */
  readonly writesOwnPidFile: boolean;
  /** What to suggest when the service does not become healthy. */
  readonly startFailureFix: string;
  /** Checks health over the network, as sluice will use the service. */
  probe(context: StackContext): Promise<ProbeResult>;
  /** Installs and initialises what the first start needs; cheap when already done. */
  prepare(context: StackContext): Promise<void>;
  /** Starts the process in the background. */
  start(context: StackContext): Promise<DetachedProcess>;
  /**
   * The configuration the service starts with, as text. `up` keeps it beside the pid file and
   * restarts a running service whose configuration changed since it was started (a new listener,
   * new server options), so an upgraded checkout never runs against a stale service.
   */
  configuration?(context: StackContext): string;
  /** Runs once the started service is healthy (accounts that need the running server). */
  afterStart?(context: StackContext): Promise<void>;
}
