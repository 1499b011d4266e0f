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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { ensureHostTools } from '../../stack/host-tools.js';
import { runsAsRoot, stackDirectory } from '../../stack/settings.js';
import { gtidPosition, randomServerId, seedCapturePosition } from '../lib/binlog.js';
import { writeBenchPipeline } from '../lib/pipeline-file.js';
import { cpuSeconds, processMemory, SluiceProcess } from '../lib/processes.js';
import { RESULTS_DIRECTORY } from '../lib/report.js';
import type { KafkaWatch } from '../lib/progress.js';
import { engineNode, engineReachable, note, now, openSql, sleep, waitUntil } from '../lib/services.js';
import { createShop, SHOP_DOCUMENTS, updateEveryProduct } from '../lib/shop.js';
import { startDebezium, writeDebeziumConfig, type DebeziumInstall } from './debezium.js';
import { findPostgres, findRedis, installDebezium, installPgsync, PEER_VERSIONS } from './install.js';
import type { PeerProcess } from './peer-process.js';
import { startPeerServers } from './pg-redis.js';
import { pgsyncInitialLoad, startPgsyncDaemon } from './pgsync.js';
import { peersTableMarkdown, type CaptureFigures, type CatchUpFigures, type Measured, type PeersResult } from './ratio-table.js';
import { shopPostgresSql, updateEveryProductSql } from './shop-postgres.js';

/** What the peers phase needs from the bench. */
export interface PeersOptions {
  readonly roots: number;
  readonly kafka: Kafka;
  readonly watch: KafkaWatch;
  readonly suffix: string;
  readonly timeoutMs: number;
}

/** The share of a backlog after which a capture counts as steady. */
const STEADY_FROM = 0.2;
/** Quarkus HTTP port of Debezium Server (unused by the stack). */
const DEBEZIUM_HTTP_PORT = 18083;

function skipped(error: unknown): { skipped: string } {
  const message = error instanceof Error ? error.message : String(error);
  return { skipped: `failed: ${message.slice(0, 400)}` };
}

/**
 * Follows a capture until `base + rows` messages: the rate over the whole capture (from the first
 * captured row) and, from `STEADY_FROM` of the backlog on, the steady rate and CPU per 100k rows.
 */
async function followCapture(
  messages: () => Promise<number>,
  cpu: () => number,
  base: number,
  rows: number,
  options: { timeoutMs: number; check: () => void; label: string },
): Promise<{ whole: CaptureFigures; steady: CaptureFigures }> {
  const samples: Array<{ atMs: number; count: number; cpu: number }> = [];
  const deadline = now() + options.timeoutMs;
  for (;;) {
    options.check();
    const count = (await messages()) - base;
    samples.push({ atMs: now(), count, cpu: cpu() });
    if (count >= rows) break;
    if (now() > deadline) throw new Error(`${options.label}: ${count} of ${rows} rows captured after ${options.timeoutMs / 1000} s`);
    await sleep(200);
  }
  const last = samples[samples.length - 1];
  const figures = (from: { atMs: number; count: number; cpu: number } | undefined): CaptureFigures => {
    if (last === undefined || from === undefined || last.count <= from.count) return { rows: 0, seconds: 0, rowsPerSecond: 0, cpuSecondsPer100k: 0 };
    const seconds = (last.atMs - from.atMs) / 1000;
    const captured = last.count - from.count;
    return { rows: captured, seconds, rowsPerSecond: captured / seconds, cpuSecondsPer100k: ((last.cpu - from.cpu) / captured) * 100_000 };
  };
  // the last sample before the first captured row: the capture started during its interval
  const firstProgress = samples.findIndex((sample) => sample.count > 0);
  return {
    whole: figures(samples[Math.max(0, firstProgress - 1)]),
    steady: figures(samples.find((sample) => sample.count >= rows * STEADY_FROM)),
  };
}

/** sluice source captures `rows` product changes from `start` into a fresh pipeline's topics. */
async function sluiceCapture(options: PeersOptions, database: string, start: string, rows: number, label: string, pipelines: string[]) {
  const pipeline = writeBenchPipeline(`bench-peers-${label}-${options.suffix}`, database, SHOP_DOCUMENTS, { engine: 'opensearch' });
  pipelines.push(pipeline.pipeline);
  await seedCapturePosition(options.kafka, pipeline.pipeline, start);
  note(`peers: sluice source captures ${rows.toLocaleString('en-US')} rows`);
  const source = new SluiceProcess(`peers-${label}-source`, ['source', '-c', pipeline.file]);
  try {
    return await followCapture(
      () => options.watch.messages([pipeline.topic('product')]),
      () => cpuSeconds(source.pid) ?? 0,
      0,
      rows,
      { timeoutMs: options.timeoutMs, check: () => source.assertRunning(), label: `sluice capture of ${label}` },
    );
  } finally {
    await source.stop();
  }
}

/** Debezium Server captures `rows` more product changes from its saved offsets. */
async function debeziumCapture(options: PeersOptions, install: DebeziumInstall, settings: Parameters<typeof startDebezium>[1], rows: number) {
  const topic = `${settings.prefix}.${settings.database}.product`;
  const base = await options.watch.messages([topic]);
  note(`peers: Debezium Server captures ${rows.toLocaleString('en-US')} rows`);
  const debezium = await startDebezium(install, settings, options.timeoutMs);
  try {
    return await followCapture(
      () => options.watch.messages([topic]),
      () => debezium.cpuSeconds(),
      base,
      rows,
      { timeoutMs: options.timeoutMs, check: () => debezium.assertRunning(), label: 'Debezium capture' },
    );
  } finally {
    await debezium.stop();
  }
}

/** Part 1: capture rows/s and CPU, sluice vs Debezium Server. */
async function capturePart(options: PeersOptions, cleanUp: CleanUp): Promise<Pick<PeersResult, 'capture' | 'steady'>> {
  const small = options.roots;
  const large = options.roots * 5;
  const debeziumInstall = await installDebezium();
  if (!debeziumInstall.ok) note(`peers: Debezium Server skipped: ${debeziumInstall.reason}`);
  let debeziumSmall: Measured<CaptureFigures> = debeziumInstall.ok ? { skipped: 'not run' } : { skipped: debeziumInstall.reason };
  let debeziumLarge: Measured<CaptureFigures> = debeziumSmall;

  const database = `bench_peers_capture_${options.suffix}`;
  cleanUp.databases.push(database);
  note(`peers: shop of ${small.toLocaleString('en-US')} products in ${database}`);
  const settings = {
    database,
    prefix: `bench-peers-dbz-${options.suffix}`,
    runDirectory: join(stackDirectory(), `peers-debezium-${options.suffix}`),
    serverId: randomServerId(),
    httpPort: DEBEZIUM_HTTP_PORT,
  };
  cleanUp.topicPrefixes.push(settings.prefix);
  const sql = await openSql();
  try {
    await createShop(sql, database, small);
    let debeziumReady = debeziumInstall.ok;
    if (debeziumInstall.ok) {
      // record Debezium's position before the backlog (schema only), then stop it
      try {
        writeDebeziumConfig(settings);
        note('peers: Debezium Server records its position');
        const first = await startDebezium(debeziumInstall.value, settings, options.timeoutMs);
        await sleep(3_000);
        await first.stop();
      } catch (error) {
        debeziumReady = false;
        debeziumSmall = debeziumLarge = skipped(error);
      }
    }
    const startSmall = await gtidPosition(sql);
    note(`peers: backlog of ${small.toLocaleString('en-US')} rows`);
    await updateEveryProduct(sql, database, small);
    const sluiceSmall: Measured<CaptureFigures> = await sluiceCapture(options, database, startSmall, small, 'capture1', cleanUp.topicPrefixes).then(
      (figures) => ({ value: figures.whole }),
      skipped,
    );
    if (debeziumReady && debeziumInstall.ok) {
      debeziumSmall = await debeziumCapture(options, debeziumInstall.value, settings, small).then((figures) => ({ value: figures.whole }), skipped);
    }
    const startLarge = await gtidPosition(sql);
    note(`peers: backlog of ${large.toLocaleString('en-US')} rows`);
    for (let round = 0; round < 5; round += 1) await updateEveryProduct(sql, database, small);
    const sluiceLarge: Measured<CaptureFigures> = await sluiceCapture(options, database, startLarge, large, 'capture2', cleanUp.topicPrefixes).then(
      (figures) => ({ value: figures.steady }),
      skipped,
    );
    if (debeziumReady && debeziumInstall.ok) {
      debeziumLarge = await debeziumCapture(options, debeziumInstall.value, settings, large).then((figures) => ({ value: figures.steady }), skipped);
    }
    return { capture: { backlog: small, sluice: sluiceSmall, debezium: debeziumSmall }, steady: { backlog: large, sluice: sluiceLarge, debezium: debeziumLarge } };
  } finally {
    await sql.end();
    rmSync(settings.runDirectory, { recursive: true, force: true });
  }
}

/** How many documents of `index` show the backlog's update (rev >= 1); 0 while it does not exist. */
async function updatedDocuments(node: string, index: string): Promise<number> {
  const response = await fetch(`${node}/${index}/_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { range: { rev: { gte: 1 } } } }),
  });
  if (response.status === 404) return 0;
  const body = (await response.json()) as { count?: number };
  return body.count ?? 0;
}

/** Product 1's stock in `index` (undefined while it is not there). */
async function stockOfProductOne(node: string, index: string): Promise<number | undefined> {
  const response = await fetch(`${node}/${index}/_doc/1`);
  if (!response.ok) return undefined;
  const body = (await response.json()) as { _source?: { stock?: number } };
  return body._source?.stock;
}

/**
 * The timed part of a catch-up: one warm-up change (product 1's stock + 1000) seen in the index,
 * then every product updated, until every document shows it.
 */
async function timeCatchUp(
  node: string,
  index: string,
  products: number,
  writes: { warmUp: () => Promise<void>; backlog: () => Promise<void> },
  options: { timeoutMs: number; check: () => void; label: string },
): Promise<number> {
  await writes.warmUp();
  await waitUntil(
    async () => {
      options.check();
      return ((await stockOfProductOne(node, index)) ?? 0) >= 1000;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, description: `${options.label}: the warm-up change` },
  );
  const started = now();
  await writes.backlog();
  await waitUntil(
    async () => {
      options.check();
      return (await updatedDocuments(node, index)) >= products;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, description: `${options.label}: every document updated` },
  );
  return (now() - started) / 1000;
}

/** Part 2, sluice: source and sink on the MariaDB shop, writing to OpenSearch. */
async function sluiceCatchUp(options: PeersOptions, products: number, node: string, cleanUp: CleanUp): Promise<CatchUpFigures> {
  const database = `bench_peers_catchup_${options.suffix}`;
  cleanUp.databases.push(database);
  const sql = await openSql();
  let source: SluiceProcess | undefined;
  let sink: SluiceProcess | undefined;
  try {
    note(`peers: sluice catch-up on ${products.toLocaleString('en-US')} products`);
    await createShop(sql, database, products);
    const pipeline = writeBenchPipeline(`bench-peers-catchup-${options.suffix}`, database, SHOP_DOCUMENTS, { engine: 'opensearch' });
    cleanUp.topicPrefixes.push(pipeline.pipeline);
    const index = pipeline.indexes.products ?? '';
    cleanUp.indexes.push(`${pipeline.pipeline}-*`);
    await seedCapturePosition(options.kafka, pipeline.pipeline, await gtidPosition(sql));
    source = new SluiceProcess('peers-catchup-source', ['source', '-c', pipeline.file]);
    sink = new SluiceProcess('peers-catchup-sink', ['sink', '-c', pipeline.file]);
    const running = { source, sink };
    const seconds = await timeCatchUp(
      node,
      index,
      products,
      {
        warmUp: async () => void (await sql.query(`UPDATE \`${database}\`.product SET stock = stock + 1000 WHERE id = 1`)),
        backlog: () => updateEveryProduct(sql, database, products),
      },
      { timeoutMs: options.timeoutMs, check: () => (running.source.assertRunning(), running.sink.assertRunning()), label: 'sluice catch-up' },
    );
    return { products, seconds, peakRss: source.peakRss() + sink.peakRss() };
  } finally {
    await sink?.stop();
    await source?.stop();
    await sql.end();
  }
}

/** Part 2, PGSync: its daemon on the Postgres shop, with Redis, writing to OpenSearch. */
async function pgsyncCatchUp(options: PeersOptions, products: number, node: string, cleanUp: CleanUp): Promise<Measured<CatchUpFigures>> {
  const pgsync = await installPgsync();
  if (!pgsync.ok) return { skipped: pgsync.reason };
  // installs Debian's postgresql and redis-server when missing (as root; otherwise the reason names them)
  const hostTools = await ensureHostTools(new Set(['bench peers']), runsAsRoot()).then(() => undefined, (error: unknown) => (error instanceof Error ? error.message : String(error)));
  if (hostTools !== undefined) return { skipped: hostTools };
  const postgres = findPostgres();
  if (!postgres.ok) return { skipped: postgres.reason };
  const redis = findRedis();
  if (!redis.ok) return { skipped: redis.reason };
  note('peers: Postgres and Redis');
  const servers = await startPeerServers(postgres.value.bin, redis.value.server);
  let daemon: PeerProcess | undefined;
  try {
    const database = 'shop';
    await servers.psql('postgres', `CREATE DATABASE ${database}`);
    note(`peers: PGSync: ${products.toLocaleString('en-US')} products in Postgres, bootstrap and initial load`);
    await servers.psql(database, shopPostgresSql(products));
    const index = `bench-peers-pgsync-${options.suffix}`;
    cleanUp.indexes.push(index);
    const settings = {
      bin: pgsync.value.bin,
      runDirectory: join(stackDirectory(), 'peers'),
      database,
      index,
      postgres: servers.postgresUrl,
      redisPort: servers.redisPort,
      searchNode: node,
    };
    const schema = await pgsyncInitialLoad(settings, options.timeoutMs);
    daemon = startPgsyncDaemon(settings, schema);
    const running = daemon;
    note('peers: PGSync daemon catch-up');
    const seconds = await timeCatchUp(
      node,
      index,
      products,
      {
        warmUp: async () => void (await servers.psql(database, 'UPDATE product SET stock = stock + 1000 WHERE id = 1')),
        backlog: async () => {
          for (const statement of updateEveryProductSql(products)) await servers.psql(database, statement);
        },
      },
      { timeoutMs: options.timeoutMs, check: () => running.assertRunning(), label: 'PGSync catch-up' },
    );
    const redisPid = servers.redisPid();
    const redisPeak = redisPid === undefined ? 0 : (processMemory(redisPid)?.peakRss ?? 0);
    return { value: { products, seconds, peakRss: daemon.peakRss() + redisPeak } };
  } finally {
    await daemon?.stop();
    await servers.stop();
  }
}

/** What the phase created, dropped at the end. */
interface CleanUp {
  readonly databases: string[];
  readonly topicPrefixes: string[];
  readonly indexes: string[];
}

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
    'Peak RSS: VmHWM of sluice source + sink during the catch-up; of PGSync\'s daemon (every process of its tree, after a separate initial-load run) + redis-server.',
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
    let pgsyncCatch: Measured<CatchUpFigures>;
    if (await engineReachable('opensearch')) {
      sluiceCatch = await sluiceCatchUp(options, products, node, cleanUp).then((value) => ({ value }), skipped);
      pgsyncCatch = await pgsyncCatchUp(options, products, node, cleanUp).catch(skipped);
    } else {
      sluiceCatch = pgsyncCatch = { skipped: `OpenSearch does not answer at ${node} (npm run stack -- up)` };
    }
    return {
      debeziumLabel: `Debezium Server ${PEER_VERSIONS.debezium} (MariaDB connector)`,
      pgsyncLabel: `PGSync ${PEER_VERSIONS.pgsync} (on Postgres)`,
      capture,
      steady,
      catchUp: { products, sluice: sluiceCatch, pgsync: pgsyncCatch },
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
    writeFileSync(file, `# sluice and its peers (${options.roots.toLocaleString('en-US')} roots)\n\n${table}`);
    process.stdout.write(`\nsluice and its peers (npm run bench -- --peers):\n\n${table}\nPeers report: ${file}\n`);
  } catch (error) {
    note(`peers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
