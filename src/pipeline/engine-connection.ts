import { ConfigurationError } from '../errors.js';
import type { EngineConnectionSettings } from '../sinks/engine/connection-settings.js';
import type { PipelineConfig } from '../config/pipeline-config.js';

/** How to reach the search engine: `engine` and the `elasticsearch` section (which serves OpenSearch too). */
export function engineConnection(config: PipelineConfig): EngineConnectionSettings {
  const section = config.elasticsearch;
  if (section === undefined) throw new ConfigurationError('elasticsearch: is required to reach the search engine', 'add elasticsearch: { node: http://127.0.0.1:9200 }');
  const { node, username, password, apiKey, caFile, caFingerprint, tlsVerify } = section;
  return {
    engine: config.engine,
    node,
    tlsVerify,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(caFile === undefined ? {} : { caFile }),
    ...(caFingerprint === undefined ? {} : { caFingerprint }),
  };
}
