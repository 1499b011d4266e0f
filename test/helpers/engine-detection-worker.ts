/**
 * A process that connects to the node given as argument with `engine: auto` and prints, as JSON,
 * the engine it found, which of the two client libraries' transports it loaded, and whether it
 * loaded a client itself (its API modules: what the adapters leave out), from the CommonJS module
 * cache, where both packages land when imported. Used by
 * test/integration/engine-detection.test.ts: a fresh process, so no other test has loaded either.
 */
import { createRequire } from 'node:module';
import { connectEngine } from '../../src/sinks/engine/connect.js';

const node = process.argv[2];
if (node === undefined) throw new Error('usage: engine-detection-worker.ts NODE_URL');
const engine = await connectEngine({ engine: 'auto', node });
const health = await engine.clusterHealth('yellow', '10s');
await engine.close();
const loaded = Object.keys(createRequire(import.meta.url).cache);
const uses = (folder: string): boolean => loaded.some((path) => path.includes(`/node_modules/${folder}/`));
process.stdout.write(
  JSON.stringify({
    kind: engine.kind,
    health: health.status,
    elasticsearchClient: uses('@elastic/transport'),
    opensearchClient: uses('@opensearch-project/opensearch'),
    clientApis: uses('@elastic/elasticsearch') || uses('apache-arrow') || uses('@opensearch-project/opensearch/api'),
  }),
);
