import { pino } from 'pino';
import { afterEach, describe } from 'vitest';
import { BulkChannel } from '../../src/sinks/elasticsearch/bulk-channel.js';
import { ensureDocumentIndex } from '../../src/sinks/elasticsearch/document-index.js';
import { documentsReferencing } from '../../src/sinks/elasticsearch/reference-lookup.js';
import type { DocumentOperation } from '../../src/sinks/writer.js';
import { describeWriterContract } from '../contract/writer-contract.js';
import { testEngine, testEngines } from '../helpers/engines.js';
import { uniqueName } from '../helpers/names.js';
import { TEST_RETRY_POLICY } from '../helpers/retry-timings.js';
import { Cleanup } from '../helpers/services.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(testEngines())('the bulk channel on %s', (kind) => {
  describeWriterContract(
    `BulkChannel on ${kind}`,
    async (testCleanup) => {
      const engine = testEngine(kind, testCleanup);
      const index = uniqueName('writer_contract');
      await ensureDocumentIndex(engine, {
        index,
        settings: { number_of_shards: 2, number_of_replicas: 0 },
        mappings: { dynamic: 'strict', properties: { name: { type: 'keyword' }, count: { type: 'integer' } } },
        gcDeletes: '1h',
      });
      testCleanup.add(() => engine.deleteIndex(index));
      const deadLetters: Array<{ operation: DocumentOperation; reason: string }> = [];
      const writer = new BulkChannel(engine, {
        retryPolicy: TEST_RETRY_POLICY,
        maxAgeMs: 5,
        logger: pino({ level: 'silent' }),
        onRejected: (operation, reason) => {
          deadLetters.push({ operation, reason });
          return Promise.resolve();
        },
      });
      return {
        index,
        writer,
        deadLetters,
        lookupReferences: (target, references) => documentsReferencing(engine, target, references, 2),
        read: async (id) => (await engine.get<Record<string, unknown>>(index, id))?._source,
      };
    },
    cleanup,
  );
});
