/**
 * A process that migrates one versioned index on the test OpenSearch node and prints each phase
 * it saved (`phase copy <taskId>`), so a test can kill it -9 at a chosen point. Argument: the
 * versioned index spec as JSON, then the lock TTL in ms and the copy batch size.
 */
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import { migrateVersionedIndex } from '../../src/sinks/indexes/migrate-index.js';
import type { VersionedIndexSpec } from '../../src/sinks/indexes/versioned-index.js';
import { ENGINE_NODES } from './engines.js';

const [specJson, ttl, batch] = process.argv.slice(2);
if (specJson === undefined) throw new Error('usage: migrate-worker.ts SPEC_JSON [TTL_MS] [BATCH]');
const engine = createEngine('opensearch', { engine: 'opensearch', node: ENGINE_NODES.opensearch });
const report = await migrateVersionedIndex(engine, JSON.parse(specJson) as VersionedIndexSpec, {
  lock: { ttlMs: Number(ttl ?? 2000) },
  batchSize: Number(batch ?? 100),
  pollMs: 100,
  onPhase: (phase, state) => process.stdout.write(`phase ${phase} ${state.taskId ?? ''}\n`),
});
process.stdout.write(`done ${JSON.stringify(report)}\n`);
await engine.close();
