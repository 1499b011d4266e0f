import type { Logger } from 'pino';
import { DEFAULT_RETRY_POLICY, retry } from '../../retry.js';
import type { EngineConnectionSettings } from './connection-settings.js';
import { connectEngine } from './connect.js';
import type { SearchEngine } from './search-engine.js';

/**
 * Connects to the configured engine for a long-running command: an unreachable node (while
 * `engine: auto` needs to ask it) is waited for with backoff until `signal` aborts; 401/403 and
 * other configuration errors stop at once. Logs the engine, never the credentials.
 */
export async function openEngine(settings: EngineConnectionSettings, signal: AbortSignal, logger: Logger): Promise<SearchEngine> {
  const engine = await retry(() => connectEngine(settings), {
    policy: { ...DEFAULT_RETRY_POLICY, maxElapsedMs: Number.POSITIVE_INFINITY },
    signal,
    onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, err: error }, 'detecting the search engine failed; retrying'),
  });
  logger.info({ engine: engine.kind, configured: settings.engine }, 'search engine');
  return engine;
}
