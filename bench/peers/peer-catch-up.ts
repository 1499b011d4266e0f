/**
 * Part 2 of the peers phase: streaming catch-up of every product updated, sluice (source + sink on
 * MariaDB) against PGSync (on Postgres, with Redis), both writing to OpenSearch, with the peak RSS
 * of each whole tool.
 */
import { join } from 'node:path';
import { ensureHostTools } from '../../stack/host-tools.js';
import { runsAsRoot, stackDirectory } from '../../stack/settings.js';
import { gtidPosition, seedCapturePosition } from '../lib/binlog.js';
import { writeBenchPipeline } from '../lib/pipeline-file.js';
import { nodeOptionsEnv, processMemory, SluiceProcess } from '../lib/processes.js';
import { note, now, openSql, waitUntil } from '../lib/services.js';
import { createShop, SHOP_DOCUMENTS, updateEveryProduct } from '../lib/shop.js';
import { findPostgres, findRedis, installPgsync } from './install.js';
import type { PeerProcess } from './peer-process.js';
import { startPeerServers } from './pg-redis.js';
import { pgsyncInitialLoad, startPgsyncDaemon } from './pgsync.js';
import type { CatchUpFigures, Measured } from './ratio-table.js';
import { shopPostgresSql, updateEveryProductSql } from './shop-postgres.js';
import type { CleanUp, PeersOptions } from './peers-context.js';

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

/** How sluice runs in the catch-up: `sluice source` + `sluice sink` (two processes) or `sluice run` (one). */
export type SluiceLayout = 'source + sink' | 'run';

/** Part 2, sluice: source and sink (or `sluice run`) on the MariaDB shop, writing to OpenSearch. */
export async function sluiceCatchUp(options: PeersOptions, products: number, node: string, cleanUp: CleanUp, layout: SluiceLayout): Promise<CatchUpFigures> {
  const tag = layout === 'run' ? 'run' : 'catchup';
  const database = `bench_peers_${tag}_${options.suffix}`;
  cleanUp.databases.push(database);
  const sql = await openSql();
  const processes: SluiceProcess[] = [];
  try {
    note(`peers: sluice catch-up (${layout}) on ${products.toLocaleString('en-US')} products`);
    await createShop(sql, database, products);
    const pipeline = writeBenchPipeline(`bench-peers-${tag}-${options.suffix}`, database, SHOP_DOCUMENTS, { engine: 'opensearch' });
    cleanUp.topicPrefixes.push(pipeline.pipeline);
    const index = pipeline.indexes.products ?? '';
    cleanUp.indexes.push(`${pipeline.pipeline}-*`);
    await seedCapturePosition(options.kafka, pipeline.pipeline, await gtidPosition(sql));
    const spawnOptions = nodeOptionsEnv(options.nodeOptions);
    if (layout === 'run') processes.push(new SluiceProcess(`peers-${tag}-run`, ['run', '-c', pipeline.file], spawnOptions));
    else processes.push(new SluiceProcess(`peers-${tag}-source`, ['source', '-c', pipeline.file], spawnOptions), new SluiceProcess(`peers-${tag}-sink`, ['sink', '-c', pipeline.file], spawnOptions));
    const seconds = await timeCatchUp(
      node,
      index,
      products,
      {
        warmUp: async () => void (await sql.query(`UPDATE \`${database}\`.product SET stock = stock + 1000 WHERE id = 1`)),
        backlog: () => updateEveryProduct(sql, database, products),
      },
      { timeoutMs: options.timeoutMs, check: () => processes.forEach((process) => process.assertRunning()), label: `sluice catch-up (${layout})` },
    );
    note(`peers: sluice peak RSS ${processes.map((process) => `${process.name} ${(process.peakRss() / 1_048_576).toFixed(0)} MiB`).join(', ')}`);
    return { products, seconds, peakRss: processes.reduce((sum, process) => sum + process.peakRss(), 0) };
  } finally {
    for (const process of processes.reverse()) await process.stop();
    await sql.end();
  }
}

/** Part 2, PGSync: its daemon on the Postgres shop, with Redis, writing to OpenSearch. */
export async function pgsyncCatchUp(options: PeersOptions, products: number, node: string, cleanUp: CleanUp): Promise<Measured<CatchUpFigures>> {
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
