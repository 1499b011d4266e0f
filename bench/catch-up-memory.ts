/**
 * Peak RSS of sluice in the peers' streaming catch-up (bench/peers/peer-catch-up.ts: a shop of
 * 100,000 products on the stack's MariaDB, every product updated, until OpenSearch shows every
 * update), under environment variants run back to back, to compare memory settings in pairs.
 * Each variant is a JSON object of environment variables for the sluice processes (`{}` is the
 * default); the variants are run in turn, `--rounds` times. `--sink '<JSON mapping>'` writes sink
 * settings over the pipeline file's `sink:` (as `npm run bench -- --sink` does), for every variant.
 * Needs the stack (npm run stack -- up) and a build (npm run build). Drops its databases, topics and
 * indexes after each run.
 * Usage: npx tsx bench/catch-up-memory.ts [--layout run|source+sink] [--rounds N] [--products N] [--sink '<JSON mapping>'] '<variant>' ...
 * e.g. npx tsx bench/catch-up-memory.ts --rounds 3 '{}' '{"SLUICE_MAX_SEMI_SPACE_MIB":"4"}'
 *      npx tsx bench/catch-up-memory.ts --rounds 2 --sink '{"partitionsConsumedConcurrently":1}' '{}'
 */
import { parseArgs } from 'node:util';
import { jsonMappingOption } from './lib/json-mapping-option.js';
import { overrideSinkSettings } from './lib/pipeline-file.js';
import { KafkaWatch } from './lib/progress.js';
import { benchKafka, engineNode, openSql, uniqueSuffix } from './lib/services.js';
import { sluiceCatchUp, type SluiceLayout } from './peers/peer-catch-up.js';
import type { CleanUp } from './peers/peers-context.js';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    layout: { type: 'string', default: 'run' },
    rounds: { type: 'string', default: '1' },
    products: { type: 'string', default: '100000' },
    sink: { type: 'string' },
  },
});
const layout: SluiceLayout = options.layout === 'source+sink' ? 'source + sink' : 'run';
if (options.layout !== 'run' && options.layout !== 'source+sink') {
  console.error(`catch-up-memory: --layout ${options.layout}: use run or source+sink`);
  process.exit(2);
}
const variants = (positionals.length === 0 ? ['{}'] : positionals).map((text) => jsonMappingOption('catch-up-memory: variant', text, '{"SLUICE_MAX_SEMI_SPACE_MIB":"4"}') as Record<string, string>);
const products = Number(options.products);
if (options.sink !== undefined) {
  const settings = jsonMappingOption('catch-up-memory: --sink', options.sink, '{"partitionsConsumedConcurrently":1}');
  overrideSinkSettings(settings);
  console.log(`sink settings over the pipeline file's: ${JSON.stringify(settings)}`);
}

/** Drops what one catch-up created; a failure is printed, never thrown. */
async function dropAll(cleanUp: CleanUp, watch: KafkaWatch, node: string): Promise<void> {
  const sql = await openSql();
  try {
    for (const database of cleanUp.databases) await sql.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await sql.end();
  }
  for (const prefix of cleanUp.topicPrefixes) await watch.deleteWithPrefix(prefix).catch((error: unknown) => console.error(`could not drop topics ${prefix}*: ${String(error)}`));
  for (const index of cleanUp.indexes) await fetch(`${node}/${index}`, { method: 'DELETE' }).catch((error: unknown) => console.error(`could not drop ${index}: ${String(error)}`));
}

const kafka = benchKafka();
const watch = new KafkaWatch(kafka);
await watch.connect();
const node = engineNode('opensearch');
try {
  for (let round = 1; round <= Number(options.rounds); round += 1) {
    for (const variant of variants) {
      const inherited = { ...process.env };
      // the sluice processes inherit this process's environment (bench/lib/processes.ts)
      Object.assign(process.env, variant);
      const cleanUp: CleanUp = { databases: [], topicPrefixes: [], indexes: [] };
      try {
        const figures = await sluiceCatchUp({ roots: 2 * products, kafka, watch, suffix: uniqueSuffix(), timeoutMs: 600_000 }, products, node, cleanUp, layout);
        console.log(`round ${round} ${JSON.stringify(variant)} ${layout}: ${figures.seconds.toFixed(1)} s, peak RSS ${(figures.peakRss / 1_048_576).toFixed(0)} MiB`);
      } finally {
        process.env = inherited;
        await dropAll(cleanUp, watch, node);
      }
    }
  }
} finally {
  await watch.disconnect();
}
