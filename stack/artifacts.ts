import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion } from './processes.js';
import { PROJECT_ROOT, SERVICE_VERSIONS } from './settings.js';
import { StackError } from './stack-error.js';

/** Where the JVM services' files are once fetched. */
export interface JvmArtifacts {
  /** Kafka's jars (the broker and its runtime dependencies). */
  readonly kafkaLibs: string;
  /** The Elasticsearch integ-test-zip archive. */
  readonly elasticsearchZip: string;
}

/**
 * Fetches Kafka and Elasticsearch from Maven Central into `<stackDir>/artifacts` with the
 * project's pom (stack/maven/pom.xml). Maven's local repository (~/.m2) caches the downloads and
 * a marker file skips Maven entirely when the same versions are already in place.
 */
export async function fetchJvmArtifacts(stackDir: string): Promise<JvmArtifacts> {
  const root = join(stackDir, 'artifacts');
  const artifacts: JvmArtifacts = {
    kafkaLibs: join(root, `kafka-${SERVICE_VERSIONS.kafka}`),
    elasticsearchZip: join(root, `elasticsearch-${SERVICE_VERSIONS.elasticsearch}`, 'elasticsearch.zip'),
  };
  const marker = join(root, 'fetched.json');
  // only the versions of what this function fetches: another service's version must not force a
  // refetch (which replaces the jars under a running Kafka)
  const wanted = JSON.stringify({ kafka: SERVICE_VERSIONS.kafka, elasticsearch: SERVICE_VERSIONS.elasticsearch });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted && existsSync(artifacts.elasticsearchZip)) return artifacts;

  mkdirSync(root, { recursive: true });
  rmSync(artifacts.kafkaLibs, { recursive: true, force: true });
  process.stdout.write(`stack: fetching Kafka ${SERVICE_VERSIONS.kafka} and Elasticsearch ${SERVICE_VERSIONS.elasticsearch} from Maven Central\n`);
  const result = await runToCompletion('mvn', [
    '-B',
    '-q',
    '-f',
    join(PROJECT_ROOT, 'stack', 'maven', 'pom.xml'),
    `-Dkafka.version=${SERVICE_VERSIONS.kafka}`,
    `-Delasticsearch.version=${SERVICE_VERSIONS.elasticsearch}`,
    `-Dkafka.libs=${artifacts.kafkaLibs}`,
    `-Des.dir=${join(root, `elasticsearch-${SERVICE_VERSIONS.elasticsearch}`)}`,
    'dependency:copy-dependencies@kafka',
    'dependency:copy@elasticsearch',
  ]);
  const jarCount = existsSync(artifacts.kafkaLibs) ? readdirSync(artifacts.kafkaLibs).length : 0;
  if (result.code !== 0 || jarCount === 0 || !existsSync(artifacts.elasticsearchZip)) {
    throw new StackError(
      'kafka and elasticsearch',
      `Maven could not fetch the artifacts (exit ${result.code})`,
      'check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml mirrors), then run the command again',
      { logTail: result.output.split('\n').slice(-20).join('\n') },
    );
  }
  writeFileSync(marker, wanted);
  return artifacts;
}
