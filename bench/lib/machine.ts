/** What the report says about the machine and the software the figures were measured on. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import { join } from 'node:path';
import type { EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { SLUICE_VERSION } from '../../src/version.js';
import { PROJECT_ROOT, SERVICE_VERSIONS } from '../../stack/settings.js';
import { processUptimeSeconds, servicePids } from './processes.js';
import { openSql } from './services.js';

/** The machine and versions. */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly sluice: string;
  /** `git describe`-like: commit and whether the tree had uncommitted changes. */
  readonly commit: string;
  readonly mariadb: string;
  readonly kafka: string;
  /** Each measured search engine: its version, and how long its JVM had been up when the run started (a fresh JVM is slow until its JIT warms up; unknown unless it is the local stack's). */
  readonly engines: ReadonlyArray<{ readonly engine: EngineKind; readonly version: string; readonly uptimeSeconds: number | undefined }>;
  readonly libraries: Readonly<Record<string, string>>;
  /** The 1-minute load average when the run started (other work on the machine skews every figure). */
  readonly loadAverageAtStart: number;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

/** Describes this machine and the services' versions (of the engines measured). */
export async function describeMachine(engines: readonly SearchEngine[]): Promise<MachineDescription> {
  const sql = await openSql();
  let mariadb = 'unknown';
  try {
    const [rows] = await sql.query('SELECT VERSION() AS version');
    mariadb = String((rows as Array<{ version: string }>)[0]?.version ?? 'unknown');
  } finally {
    await sql.end();
  }
  // the version from the nodes API (the port's capabilities): `GET /` is not always routed (a stack started without some modules answers 405)
  const pids = servicePids();
  const described = await Promise.all(
    engines.map(async (engine) => {
      const version = await engine.capabilities().then((capabilities) => capabilities.version, () => 'unknown');
      const pid = pids[engine.kind];
      return { engine: engine.kind, version, uptimeSeconds: pid === undefined ? undefined : processUptimeSeconds(pid) };
    }),
  );
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    sluice: SLUICE_VERSION,
    commit: gitCommit(),
    mariadb,
    kafka: SERVICE_VERSIONS.kafka,
    engines: described,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    libraries: Object.fromEntries(['kafkajs', '@vlasky/zongji', '@elastic/elasticsearch', '@opensearch-project/opensearch', 'mysql2', 'avsc', 'rxjs'].map((name) => [name, packageVersion(name)])),
  };
}
