import type { EngineConnectionSettings } from './connection-settings.js';
import { elasticsearchEngine } from './elasticsearch-engine.js';
import { opensearchEngine } from './opensearch-engine.js';
import type { EngineKind, SearchEngine } from './search-engine.js';

/**
 * The adapter of a known engine, synchronously (no request sent). Loads both engines' clients:
 * the commands use {@link connectEngine} from `connect.ts`, which loads only the one in use.
 */
export function createEngine(engine: EngineKind, settings: EngineConnectionSettings): SearchEngine {
  return engine === 'elasticsearch' ? elasticsearchEngine(settings) : opensearchEngine(settings);
}
