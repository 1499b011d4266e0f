/**
 * Part 1 of the peers phase: capture rows/s and CPU per 100k rows, sluice source against Debezium
 * Server, on a backlog of --roots product updates and on one 5 times larger (steady state).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stackDirectory } from '../../stack/settings.js';
import { gtidPosition, randomServerId, seedCapturePosition } from '../lib/binlog.js';
import { writeBenchPipeline } from '../lib/pipeline-file.js';
import { cpuSeconds, SluiceProcess } from '../lib/processes.js';
import { note, now, openSql, sleep } from '../lib/services.js';
import { createShop, SHOP_DOCUMENTS, updateEveryProduct } from '../lib/shop.js';
import { startDebezium, writeDebeziumConfig, type DebeziumInstall } from './debezium.js';
import { installDebezium } from './install.js';
import type { CaptureFigures, Measured, PeersResult } from './ratio-table.js';
import { type PeersOptions, type CleanUp, skipped } from './peers-context.js';

/** The share of a backlog after which a capture counts as steady. */
const STEADY_FROM = 0.2;
/** Quarkus HTTP port of Debezium Server (unused by the stack). */
const DEBEZIUM_HTTP_PORT = 18083;

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
export async function capturePart(options: PeersOptions, cleanUp: CleanUp): Promise<Pick<PeersResult, 'capture' | 'steady'>> {
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
