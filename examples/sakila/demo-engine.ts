import type { EngineKind } from '../../src/sinks/engine/search-engine.js';

/**
 * The engine `npm run demo` writes to: `--engine <kind>` (or `--engine=<kind>`), else the
 * SLUICE_ENGINE environment variable, else Elasticsearch.
 */
export function demoEngine(argv: readonly string[], env: NodeJS.ProcessEnv): EngineKind {
  const position = argv.indexOf('--engine');
  const given = position >= 0 ? argv[position + 1] : (argv.find((arg) => arg.startsWith('--engine='))?.slice('--engine='.length) ?? env.SLUICE_ENGINE);
  const engine = given === undefined || given === '' ? 'elasticsearch' : given;
  if (engine !== 'elasticsearch' && engine !== 'opensearch') throw new Error(`unknown engine "${engine}": use --engine elasticsearch or --engine opensearch`);
  return engine;
}
