/**
 * `npm run bench -- --peers`: sluice against its peers on the same workloads, in one run.
 * 1. Capture (sluice vs Debezium Server): a shop database of --roots products in the stack's
 *    MariaDB; Debezium records its position (no data snapshot) and stops; the backlog (every
 *    product updated once) is captured by `sluice source` from a seeded position, then by Debezium
 *    from its offsets; then a 5 times larger backlog, whose steady state (from 20 % of it on) gives
 *    rows/s and CPU per 100k rows. Rates start at the first captured row (start-up not counted).
 * 2. Streaming catch-up (sluice vs PGSync on Postgres): a shop of --roots / 2 products in MariaDB
 *    for sluice and in a Postgres of Debian for PGSync; each tool runs and has written one warm-up
 *    change; then every product is updated and the time until every document in OpenSearch shows
 *    the update is taken; peak RSS of the whole tool (sluice source + sink; PGSync + Redis).
 * Each peer that cannot be installed or run is skipped with its reason. Every process and server
 * started here is stopped at the end; databases, topics and indexes are dropped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIRECTORY } from '../lib/report.js';
import { engineNode, engineReachable, note, openSql } from '../lib/services.js';
import { PEER_VERSIONS } from './install.js';
import { peersTableMarkdown, type CatchUpFigures, type Measured, type PeersResult } from './ratio-table.js';
import { type PeersOptions, type CleanUp, skipped } from './peers-context.js';
import { capturePart } from './peer-capture.js';
import { sluiceCatchUp, pgsyncCatchUp } from './peer-catch-up.js';

/** Drops what the phase created (databases, topics, indexes); a failure is printed, never thrown. */
async function cleanUpAll(options: PeersOptions, cleanUp: CleanUp, node: string): Promise<void> {
  const failed = (what: string) => (error: unknown) => note(`peers clean-up: could not drop ${what}: ${String(error)}`);
  const sql = await openSql();
  try {
    for (const database of cleanUp.databases) await sql.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(failed(database));
  } finally {
    await sql.end();
  }
  for (const prefix of cleanUp.topicPrefixes) await options.watch.deleteWithPrefix(prefix).catch(failed(`topics ${prefix}*`));
  for (const index of cleanUp.indexes) await fetch(`${node}/${index}`, { method: 'DELETE' }).catch(failed(`index ${index}`));
}

/** Runs both parts; see the module comment. */
export async function runPeers(options: PeersOptions): Promise<PeersResult> {
  const loadStart = loadavg()[0] ?? 0;
  const cleanUp: CleanUp = { databases: [], topicPrefixes: [], indexes: [] };
  const node = engineNode('opensearch');
  const products = Math.max(1, Math.round(options.roots / 2));
  const notes = [
    'Capture: sluice source (Avro) and Debezium Server (its default JSON with schemas, Kafka sink) read the same binlog of the stack\'s MariaDB; ' +
      'rates from the first captured row, CPU of the capturing process only.',
    'Catch-up: from the first UPDATE until every document in OpenSearch shows it; both tools were running and had applied one warm-up change. ' +
      'PGSync runs on a Postgres from Debian with the same rows: its MySQL/MariaDB mode builds wrong documents and never checkpoints on MariaDB 10.11 without GTIDs. ' +
      'Both write to OpenSearch: the stack\'s Elasticsearch build answers 405 to GET /, which PGSync\'s Elasticsearch client requires.',
    'Peak RSS: VmHWM of sluice source + sink during the catch-up (two processes), and of `sluice run` (capture and sink in one process) in a second catch-up on a fresh shop; of PGSync\'s daemon (every process of its tree, after a separate initial-load run) + redis-server.',
  ];
  try {
    const { capture, steady } = await capturePart(options, cleanUp).catch((error: unknown) => {
      const failure = skipped(error);
      return {
        capture: { backlog: options.roots, sluice: failure, debezium: failure },
        steady: { backlog: options.roots * 5, sluice: failure, debezium: failure },
      };
    });
    let sluiceCatch: Measured<CatchUpFigures>;
    let sluiceRunCatch: Measured<CatchUpFigures>;
    let pgsyncCatch: Measured<CatchUpFigures>;
    if (await engineReachable('opensearch')) {
      sluiceCatch = await sluiceCatchUp(options, products, node, cleanUp, 'source + sink').then((value) => ({ value }), skipped);
      sluiceRunCatch = await sluiceCatchUp(options, products, node, cleanUp, 'run').then((value) => ({ value }), skipped);
      pgsyncCatch = await pgsyncCatchUp(options, products, node, cleanUp).catch(skipped);
    } else {
      sluiceCatch = sluiceRunCatch = pgsyncCatch = { skipped: `OpenSearch does not answer at ${node} (npm run stack -- up)` };
    }
    return {
      debeziumLabel: `Debezium Server ${PEER_VERSIONS.debezium} (MariaDB connector)`,
      pgsyncLabel: `PGSync ${PEER_VERSIONS.pgsync} (on Postgres)`,
      capture,
      steady,
      catchUp: { products, sluice: sluiceCatch, sluiceRun: sluiceRunCatch, pgsync: pgsyncCatch },
      load: { start: loadStart, end: loadavg()[0] ?? 0 },
      notes,
    };
  } finally {
    await cleanUpAll(options, cleanUp, node).catch((error: unknown) => note(`peers clean-up failed: ${String(error)}`));
  }
}

/**
 * The bench's --peers phase: runs the peers, prints the ratio table and writes it to
 * bench/results/peers-<timestamp>.md; a failure is printed, never thrown.
 */
export async function peersPhase(options: PeersOptions): Promise<void> {
  note('peers: sluice against Debezium Server and PGSync');
  try {
    const table = peersTableMarkdown(await runPeers(options));
    const file = join(RESULTS_DIRECTORY, `peers-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
    mkdirSync(RESULTS_DIRECTORY, { recursive: true });
    const command = options.command === undefined ? '' : `Command: \`${options.command}\`\n\n`;
    writeFileSync(file, `# sluice and its peers (${options.roots.toLocaleString('en-US')} roots)\n\n${command}${table}`);
    process.stdout.write(`\nsluice and its peers (npm run bench -- --peers):\n\n${table}\nPeers report: ${file}\n`);
  } catch (error) {
    note(`peers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
