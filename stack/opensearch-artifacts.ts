import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion } from './processes.js';
import { SERVICE_VERSIONS } from './settings.js';
import { StackError } from './stack-error.js';

/** One OpenSearch module the stack installs, and where Maven Central has it. */
export interface OpenSearchModule {
  /** Folder name under modules/ and the plugin name. */
  readonly name: string;
  /** artifactId under the groupId org.opensearch.plugin (version = the server's). */
  readonly artifact: string;
  /** The plugin class in 2.x, then in 3.x (the classes were renamed). */
  readonly classNames: readonly [string, string];
  /** The module whose class loader this one extends ('' when none). */
  readonly extends: string;
  readonly description: string;
}

/**
 * The modules that make the integ-test-zip (transport-netty4 only) a complete node: Painless,
 * reindex / update-by-query / delete-by-query, the common analyzers and the usual extras.
 * lang-painless comes first: the modules extending it must not duplicate its jars.
 */
export const OPENSEARCH_MODULES: readonly OpenSearchModule[] = [
  {
    name: 'lang-painless',
    artifact: 'lang-painless',
    classNames: ['org.opensearch.painless.PainlessPlugin', 'org.opensearch.painless.PainlessModulePlugin'],
    extends: '',
    description: 'An easy, safe and fast scripting language for OpenSearch',
  },
  {
    name: 'reindex',
    artifact: 'reindex-client',
    classNames: ['org.opensearch.index.reindex.ReindexPlugin', 'org.opensearch.index.reindex.ReindexModulePlugin'],
    extends: '',
    description: 'The Reindex module adds APIs to reindex from one index to another or update documents in place.',
  },
  {
    name: 'analysis-common',
    artifact: 'analysis-common',
    classNames: ['org.opensearch.analysis.common.CommonAnalysisPlugin', 'org.opensearch.analysis.common.CommonAnalysisModulePlugin'],
    extends: 'lang-painless',
    description: 'Adds "built in" analyzers to OpenSearch.',
  },
  {
    name: 'mapper-extras',
    artifact: 'mapper-extras-client',
    classNames: ['org.opensearch.index.mapper.MapperExtrasPlugin', 'org.opensearch.index.mapper.MapperExtrasModulePlugin'],
    extends: '',
    description: 'Adds advanced field mappers.',
  },
  {
    name: 'lang-mustache',
    artifact: 'lang-mustache-client',
    classNames: ['org.opensearch.script.mustache.MustachePlugin', 'org.opensearch.script.mustache.MustacheModulePlugin'],
    extends: '',
    description: 'Mustache scripting integration for OpenSearch',
  },
  {
    name: 'parent-join',
    artifact: 'parent-join-client',
    classNames: ['org.opensearch.join.ParentJoinPlugin', 'org.opensearch.join.ParentJoinModulePlugin'],
    extends: '',
    description: 'This module adds the support parent-child queries and aggregations',
  },
  {
    name: 'ingest-common',
    artifact: 'ingest-common',
    classNames: ['org.opensearch.ingest.common.IngestCommonPlugin', 'org.opensearch.ingest.common.IngestCommonModulePlugin'],
    extends: 'lang-painless',
    description: 'Module for ingest processors that do not require additional security permissions or have large dependencies and resources',
  },
];

/** Where the OpenSearch files are once fetched. */
export interface OpenSearchArtifacts {
  /** The integ-test-zip archive. */
  readonly zip: string;
  /** One folder per module name with the module's runtime jars (the server's own jars excluded). */
  readonly modulesDir: string;
}

const DEPENDENCY_PLUGIN_VERSION = '3.8.1';

/** The aggregator pom: one Maven run resolves the distribution and every module. */
export function aggregatorPom(modules: readonly OpenSearchModule[]): string {
  return pom('opensearch-node', [
    '  <modules>',
    '    <module>distribution</module>',
    ...modules.map((module) => `    <module>${module.name}</module>`),
    '  </modules>',
  ]);
}

/**
 * The pom of one module: the module artifact with its runtime dependencies, minus the server jar
 * and everything under it (lucene, jackson, log4j…), copied to `outputDirectory`.
 */
export function modulePom(module: OpenSearchModule, version: string, outputDirectory: string): string {
  return pom(`module-${module.name}`, [
    '  <dependencies>',
    '    <dependency>',
    `      <groupId>org.opensearch.plugin</groupId><artifactId>${module.artifact}</artifactId><version>${version}</version>`,
    '      <exclusions><exclusion><groupId>org.opensearch</groupId><artifactId>opensearch</artifactId></exclusion></exclusions>',
    '    </dependency>',
    '  </dependencies>',
    ...copyDependencies(outputDirectory),
  ]);
}

function distributionPom(version: string, outputDirectory: string): string {
  return pom('distribution', [
    '  <dependencies>',
    '    <dependency>',
    `      <groupId>org.opensearch.distribution.integ-test-zip</groupId><artifactId>opensearch</artifactId><version>${version}</version><type>zip</type>`,
    '    </dependency>',
    '  </dependencies>',
    ...copyDependencies(outputDirectory),
  ]);
}

function copyDependencies(outputDirectory: string): string[] {
  return [
    '  <build><plugins><plugin>',
    `    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>${DEPENDENCY_PLUGIN_VERSION}</version>`,
    `    <configuration><includeScope>runtime</includeScope><outputDirectory>${outputDirectory}</outputDirectory></configuration>`,
    '  </plugin></plugins></build>',
  ];
}

function pom(artifactId: string, body: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    `  <groupId>dev.sluice.stack</groupId><artifactId>${artifactId}</artifactId><version>1</version><packaging>pom</packaging>`,
    ...body,
    '</project>',
    '',
  ].join('\n');
}

/**
 * Fetches OpenSearch's integ-test-zip and the module jars from Maven Central into
 * `<stackDir>/artifacts/opensearch-<version>` in one Maven run over generated poms. Maven's local
 * repository (~/.m2) caches the downloads, and a marker file skips Maven when the same version
 * and modules are already in place.
 */
export async function fetchOpenSearchArtifacts(stackDir: string, version: string = SERVICE_VERSIONS.opensearch): Promise<OpenSearchArtifacts> {
  const root = join(stackDir, 'artifacts', `opensearch-${version}`);
  const artifacts: OpenSearchArtifacts = { zip: join(root, `opensearch-${version}.zip`), modulesDir: join(root, 'modules') };
  const marker = join(root, 'fetched.json');
  const wanted = JSON.stringify({ version, modules: OPENSEARCH_MODULES.map((module) => module.name) });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted && existsSync(artifacts.zip)) return artifacts;

  const build = join(root, 'maven');
  rmSync(build, { recursive: true, force: true });
  rmSync(artifacts.modulesDir, { recursive: true, force: true });
  mkdirSync(join(build, 'distribution'), { recursive: true });
  writeFileSync(join(build, 'pom.xml'), aggregatorPom(OPENSEARCH_MODULES));
  writeFileSync(join(build, 'distribution', 'pom.xml'), distributionPom(version, root));
  for (const module of OPENSEARCH_MODULES) {
    mkdirSync(join(build, module.name), { recursive: true });
    writeFileSync(join(build, module.name, 'pom.xml'), modulePom(module, version, join(artifacts.modulesDir, module.name)));
  }
  process.stdout.write(`stack: fetching OpenSearch ${version} and its modules from Maven Central\n`);
  const result = await runToCompletion('mvn', ['-B', '-q', '-Dstyle.color=never', '-f', join(build, 'pom.xml'), 'dependency:copy-dependencies']);
  const missing = OPENSEARCH_MODULES.filter((module) => !existsSync(join(artifacts.modulesDir, module.name, `${module.artifact}-${version}.jar`)));
  if (result.code !== 0 || !existsSync(artifacts.zip) || missing.length > 0) {
    throw new StackError(
      'opensearch',
      `Maven could not fetch OpenSearch ${version} (exit ${result.code}${missing.length > 0 ? `; missing ${missing.map((module) => module.name).join(', ')}` : ''})`,
      'check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml mirrors), then run the command again',
      { logTail: result.output.split('\n').slice(-20).join('\n') },
    );
  }
  writeFileSync(marker, wanted);
  return artifacts;
}

/** The jar file names of a fetched module folder. */
export function moduleJars(modulesDir: string, name: string): string[] {
  return readdirSync(join(modulesDir, name)).filter((file) => file.endsWith('.jar'));
}
