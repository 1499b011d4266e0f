/**
 * `sluice source`'s initial snapshot of a fresh shop, under environment variants run in turn, to
 * compare settings of the source process in pairs: for each variant it creates a shop of ROOTS
 * products (with their reviews, tags and categories), starts `sluice source` on it (no saved
 * position, so it snapshots every table), waits until the change topics hold every row, and prints
 * the rows, seconds, the source's CPU per 100,000 rows and its peak RSS. Each variant is a JSON
 * object of environment variables for the source (`{}` is the default). Needs the stack
 * (npm run stack -- up) and a build (npm run build); drops its database and topics after each run.
 *
 * Usage: npx tsx bench/snapshot-capture.ts [ROOTS] '<variant>' ...
 * e.g. npx tsx bench/snapshot-capture.ts 100000 '{}' '{"SLUICE_MAX_SEMI_SPACE_MIB":"8"}'
 */
import { logLevel } from 'kafkajs';
import { endpointsFromEnvironment } from '../src/config/endpoints.js';
import { createKafka } from '../src/streams/kafka-client.js';
import { jsonMappingOption } from './lib/json-mapping-option.js';
import { cpuSeconds, SluiceProcess } from './lib/processes.js';
import { KafkaWatch } from './lib/progress.js';
import { writeBenchPipeline } from './lib/pipeline-file.js';
import { createShop, SHOP_DOCUMENTS, SHOP_TABLES } from './lib/shop.js';
import { openSql, sleep } from './lib/services.js';

const roots = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(roots) || roots < 1) {
  console.error(`snapshot-capture: ROOTS must be a whole number of products, at least 1 (got ${process.argv[2] ?? ''}), e.g. 100000`);
  process.exit(2);
}
const variants = (process.argv.length > 3 ? process.argv.slice(3) : ['{}']).map(
  (text) => jsonMappingOption('snapshot-capture: variant', text, '{"SLUICE_MAX_SEMI_SPACE_MIB":"8"}') as Record<string, string>,
);

const watch = new KafkaWatch(createKafka({ brokers: endpointsFromEnvironment().kafkaBrokers, clientId: 'bench', logLevel: logLevel.NOTHING }));
await watch.connect();
const sql = await openSql();
try {
  for (const variant of variants) {
    const suffix = Date.now();
    const database = `bench_snapshot_${suffix}`;
    const counts = await createShop(sql, database, roots);
    const rows = counts.products + counts.productTags + counts.reviews + counts.categories + counts.tags;
    const pipeline = writeBenchPipeline(`bench-snapshot-${suffix}`, database, SHOP_DOCUMENTS, { engine: 'elasticsearch' });
    const topics = SHOP_TABLES.map((table) => pipeline.topic(table));
    const began = performance.now();
    const source = new SluiceProcess('snapshot-source', ['source', '-c', pipeline.file], { env: variant });
    try {
      while ((await watch.messages(topics)) < rows) {
        source.assertRunning();
        await sleep(100);
      }
      const seconds = (performance.now() - began) / 1000;
      const cpu = cpuSeconds(source.pid) ?? Number.NaN;
      console.log(
        `${JSON.stringify(variant)}: ${rows} rows in ${seconds.toFixed(1)} s, source CPU ${cpu.toFixed(1)} s (${((cpu / rows) * 100_000).toFixed(2)} s per 100k rows), peak RSS ${(source.peakRss() / 1_048_576).toFixed(0)} MiB`,
      );
    } finally {
      await source.stop();
      await watch.deleteWithPrefix(pipeline.pipeline);
      await sql.query(`DROP DATABASE \`${database}\``);
    }
  }
} finally {
  await sql.end();
  await watch.disconnect();
}
