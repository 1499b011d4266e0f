import type { TestContext } from 'vitest';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineCapabilities, EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { endpoints, type Cleanup } from './services.js';

/** The node of each engine the tests use: the local stack, or SLUICE_ES_NODE / SLUICE_OS_NODE. */
export const ENGINE_NODES: Readonly<Record<EngineKind, string>> = {
  elasticsearch: endpoints.elasticsearchNode,
  opensearch: endpoints.opensearchNode,
};

/**
 * The engines the engine-facing suites run on: both by default; SLUICE_TEST_ENGINES
 * (e.g. `opensearch`) narrows the list. Use with describe.each(testEngines()).
 */
export function testEngines(env: NodeJS.ProcessEnv = process.env): EngineKind[] {
  const wanted = env.SLUICE_TEST_ENGINES?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const all: EngineKind[] = ['elasticsearch', 'opensearch'];
  if (wanted === undefined || wanted.length === 0) return all;
  const unknown = wanted.filter((name) => !all.includes(name as EngineKind));
  if (unknown.length > 0) throw new Error(`SLUICE_TEST_ENGINES names unknown engines: ${unknown.join(', ')} (use elasticsearch, opensearch)`);
  return all.filter((kind) => wanted.includes(kind));
}

/** The port to a test engine, closed by `cleanup`. */
export function testEngine(kind: EngineKind, cleanup: Cleanup): SearchEngine {
  const engine = createEngine(kind, { engine: kind, node: ENGINE_NODES[kind], requestTimeoutMs: 30_000 });
  cleanup.add(() => engine.close());
  return engine;
}

/**
 * Skips the running test, with the reason printed, when the engine lacks a module (the
 * Elasticsearch integ-test-zip has no lang-painless and no reindex; see README).
 */
export function requireModule(context: TestContext, capabilities: EngineCapabilities, module: 'lang-painless' | 'reindex'): void {
  if (capabilities.modules.includes(module)) return;
  const reason = `${capabilities.engine} ${capabilities.version} has no ${module} module (see README, "Elasticsearch modules")`;
  process.stdout.write(`skipped "${context.task.name}" on ${capabilities.engine}: ${reason}\n`);
  context.skip(reason);
}

/**
 * At cleanup, removes the full-sync channels named `aliases`: every index behind each alias and the
 * channel's index template `sluice-<alias>` (a missing one is fine), then the indexes of `made`.
 */
export function removeChannelsAtCleanup(cleanup: Cleanup, engine: SearchEngine, aliases: readonly string[], made: ReadonlySet<string> = new Set()): void {
  cleanup.add(async () => {
    for (const alias of aliases) {
      for (const index of Object.keys(await engine.getAlias(alias))) await engine.deleteIndex(index);
      await engine.deleteIndexTemplate(`sluice-${alias}`).catch(() => undefined);
    }
    for (const index of made) await engine.deleteIndex(index).catch(() => undefined);
  });
}
