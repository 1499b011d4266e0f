/**
 * The full-sync and first-load rows of the benchmark (issue 14, items 3 and 4):
 * - `sluice sync` on a shop of --sync-roots products: documents/s against the engine's raw bulk
 *   ceiling measured in the same run (the large phase's, or measured here on the synced documents);
 * - peak RSS of `sluice sync` at --sync-roots-small and --sync-roots products (memory must stay flat:
 *   roots are enumerated in key pages);
 * - the first load of a new pipeline (`sluice run` on a fresh shop of --first-load-roots products,
 *   the capture snapshotting first): documents written per root and seconds from start to idle
 *   (every snapshot row captured, the sink's group at the end of every change topic and every
 *   product in the index), side by side with the same run with `sink.firstLoad: false` (the
 *   snapshot streamed through the sink).
 * `sluice sync` needs Painless and _reindex: on an engine without them the sync rows say so.
 */
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { engineCeiling, readDocuments } from './engine-ceiling.js';
import { writeBenchPipeline, type BenchPipeline } from './pipeline-file.js';
import { cpuSeconds, CpuMeter, nodeOptionsEnv, servicePids, SluiceProcess } from './processes.js';
import { indexOperations, type KafkaWatch } from './progress.js';
import type { BulkCeiling } from './report.js';
import { createShop, SHOP_DOCUMENTS, SHOP_TABLES } from './shop.js';
import { note, now, openSql, sleep } from './services.js';
import { integer, mebibytes } from './stats.js';

/** The scales of the phase. */
export interface SyncLoadScales {
  readonly syncRootsSmall: number;
  readonly syncRoots: number;
  readonly firstLoadRoots: number;
}

/** One `sluice sync` run. */
export interface SyncRun {
  readonly roots: number;
  readonly written: number;
  /** The sync's own duration (its summary line). */
  readonly seconds: number;
  readonly documentsPerSecond: number;
  readonly peakRss: number;
  readonly cpu: Record<string, number>;
  /** CPU time of the sync process per document written (less sensitive to a busy machine than the rate). */
  readonly cpuMicrosecondsPerDocument: number;
}

/** One first load (or, with `firstLoad: false`, the snapshot streamed) of a fresh shop. */
export interface FirstLoadRun {
  readonly firstLoad: boolean;
  readonly roots: number;
  /** Index and delete operations the engine applied on the index. */
  readonly documentsWritten: number;
  readonly documentsPerRoot: number;
  /** From the `sluice run` start to idle (see the module comment). */
  readonly secondsToIdle: number;
  /** From the start to every product in the index. */
  readonly secondsToAllDocuments: number;
  readonly peakRss: number;
  readonly cpu: Record<string, number>;
  /** CPU time of the `sluice run` process (capture and sink) per root, start to idle. */
  readonly cpuMicrosecondsPerRoot: number;
}

/** What the phase measured on one engine. */
export interface SyncLoadResult {
  readonly scales: SyncLoadScales;
  readonly sync: { readonly small?: SyncRun; readonly large?: SyncRun; readonly ceiling?: BulkCeiling; readonly skipped?: string };
  readonly firstLoad: readonly FirstLoadRun[];
}

/** What the phase needs of the bench run. */
export interface SyncLoadContext {
  readonly kind: SearchEngine['kind'];
  readonly engine: SearchEngine;
  readonly watch: KafkaWatch;
  readonly suffix: string;
  readonly databases: string[];
  readonly pipelines: string[];
  /** The bulk ceiling already measured in this run on the shop documents, if any. */
  readonly ceiling: BulkCeiling | undefined;
  readonly timeoutMs: number;
  readonly nodeOptions?: string;
}

const tagOf = (roots: number): string => (roots >= 1000 ? `${Math.round(roots / 1000)}k` : String(roots));

async function shopPipeline(context: SyncLoadContext, kind: string, roots: number, sink: Record<string, unknown> = {}): Promise<BenchPipeline> {
  const database = `bench_${kind}${tagOf(roots)}_${context.suffix}`;
  context.databases.push(database);
  note(`${kind} ${tagOf(roots)}: generating ${roots.toLocaleString('en-US')} products with children in ${database}`);
  const sql = await openSql();
  try {
    await createShop(sql, database, roots);
  } finally {
    await sql.end();
  }
  const pipeline = writeBenchPipeline(`bench-${kind}${tagOf(roots)}-${context.suffix}`.replaceAll('_', '-'), database, SHOP_DOCUMENTS, { engine: context.kind, sink });
  context.pipelines.push(pipeline.pipeline);
  return pipeline;
}

function spawnOptions(context: SyncLoadContext): { env?: Record<string, string> } {
  return nodeOptionsEnv(context.nodeOptions);
}

const SUMMARY = /written (\d+), unchanged (\d+), superseded (\d+), deleted (\d+), strategy (\S+), duration ([\d.]+) s \(index ([^)]+)\)/;

/** Runs `sluice sync` on a fresh shop of `roots` products; resolves with its figures and the index it wrote. */
async function runSync(context: SyncLoadContext, roots: number): Promise<SyncRun & { index: string }> {
  const pipeline = await shopPipeline(context, 'sync', roots);
  note(`sync ${tagOf(roots)}: sluice sync`);
  const sync = new SluiceProcess(`${context.kind}-sync-${tagOf(roots)}`, ['sync', '-c', pipeline.file], spawnOptions(context));
  const meter = new CpuMeter({ sync: sync.pid, ...servicePids() });
  const timer = setTimeout(() => void sync.stop(5_000), context.timeoutMs);
  // VmHWM and CPU read while it lives: an exited, not yet reaped process reports none
  let peakRss = 0;
  let cpu: Record<string, number> = {};
  let cpuSecondsUsed = 0;
  const sampler = setInterval(() => {
    if (!sync.running) return;
    peakRss = Math.max(peakRss, sync.peakRss());
    cpu = meter.read();
    cpuSecondsUsed = cpuSeconds(sync.pid) ?? cpuSecondsUsed;
  }, 200);
  const code = await sync.exited.finally(() => {
    clearTimeout(timer);
    clearInterval(sampler);
  });
  const match = SUMMARY.exec(sync.tail(20_000));
  if (code !== 0 || match === null) throw new Error(`sluice sync exited with ${code}: ${sync.tail(1_500)}`);
  const written = Number(match[1]);
  const seconds = Number(match[6]);
  note(`sync ${tagOf(roots)}: ${written.toLocaleString('en-US')} documents in ${seconds} s, peak RSS ${Math.round(peakRss / 1_048_576)} MiB`);
  return { roots, written, seconds, documentsPerSecond: written / seconds, peakRss, cpu, cpuMicrosecondsPerDocument: (cpuSecondsUsed * 1e6) / Math.max(1, written), index: match[7] ?? '' };
}

/** A `sluice run` on a fresh shop (the capture snapshots it), followed until idle. */
async function runFirstLoad(context: SyncLoadContext, roots: number, firstLoad: boolean): Promise<FirstLoadRun> {
  const pipeline = await shopPipeline(context, firstLoad ? 'load' : 'stream', roots, { firstLoad });
  const index = pipeline.indexes.products ?? '';
  const topics = SHOP_TABLES.map((table) => pipeline.topic(table));
  // the snapshot: every row of every table
  const rows = roots * 5 + 200;
  note(`first load ${tagOf(roots)}: sluice run with sink.firstLoad ${firstLoad}`);
  const run = new SluiceProcess(`${context.kind}-${firstLoad ? 'first-load' : 'streamed-snapshot'}-${tagOf(roots)}`, ['run', '-c', pipeline.file], spawnOptions(context));
  const meter = new CpuMeter({ run: run.pid, ...servicePids() });
  const group = sinkGroupId(pipeline.pipeline);
  const deadline = now() + context.timeoutMs;
  let allDocumentsAt: number | undefined;
  try {
    for (;;) {
      run.assertRunning();
      if (now() > deadline) throw new Error(`first load ${tagOf(roots)}: not idle after ${context.timeoutMs} ms`);
      const messages = await context.watch.messages(topics);
      const committed = await context.watch.committed(group, topics);
      if (allDocumentsAt === undefined && (await documentCount(context.engine, index)) >= roots) allDocumentsAt = now();
      if (messages >= rows && committed >= messages && allDocumentsAt !== undefined) break;
      await sleep(200);
    }
    const idleAt = now();
    const cpu = meter.read();
    const cpuMicrosecondsPerRoot = ((cpuSeconds(run.pid) ?? 0) * 1e6) / roots;
    const documentsWritten = await indexOperations(context.engine, index);
    const result: FirstLoadRun = {
      firstLoad,
      roots,
      documentsWritten,
      documentsPerRoot: documentsWritten / roots,
      secondsToIdle: (idleAt - run.startedAt) / 1000,
      secondsToAllDocuments: ((allDocumentsAt ?? idleAt) - run.startedAt) / 1000,
      peakRss: run.peakRss(),
      cpu,
      cpuMicrosecondsPerRoot,
    };
    note(`first load ${tagOf(roots)} (firstLoad ${firstLoad}): ${result.documentsPerRoot.toFixed(2)} documents written per root, all documents after ${result.secondsToAllDocuments.toFixed(1)} s, idle after ${result.secondsToIdle.toFixed(1)} s`);
    return result;
  } finally {
    await run.stop();
  }
}

async function documentCount(engine: SearchEngine, index: string): Promise<number> {
  try {
    await engine.refresh(index);
    return await engine.count(index);
  } catch {
    return 0;
  }
}

/** Runs the phase (see the module comment); a part that fails is reported in `errors` and the rest goes on. */
export async function syncLoadPhase(context: SyncLoadContext, scales: SyncLoadScales, errors: Array<{ phase: string; message: string }>): Promise<SyncLoadResult> {
  const failed = (part: string) => (error: unknown) => {
    note(`${context.kind}: ${part} failed: ${String(error)}`);
    errors.push({ phase: `${context.kind}: ${part}`, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return undefined;
  };
  const capabilities = await context.engine.capabilities();
  const missing = ['lang-painless', 'reindex'].filter((module) => !capabilities.modules.includes(module));
  let sync: SyncLoadResult['sync'];
  if (missing.length > 0) {
    sync = { skipped: `not measured: ${capabilities.engine} ${capabilities.version} lacks ${missing.join(' and ')} (sluice sync refuses it)` };
    note(`${context.kind}: sluice sync ${sync.skipped ?? ''}`);
  } else {
    const small = await runSync(context, scales.syncRootsSmall).catch(failed('sync (small)'));
    const large = await runSync(context, scales.syncRoots).catch(failed('sync (large)'));
    let ceiling = context.ceiling;
    if (ceiling === undefined && large !== undefined) {
      note(`${context.kind} bulk ceiling on the synced shop documents`);
      const documents = await readDocuments(context.engine, large.index);
      ceiling = await engineCeiling(context.engine, large.index, documents, { sampleSize: Math.min(50_000, documents.length), indexPrefix: `bench-sync-${context.suffix}-ceiling` }).catch(failed('bulk ceiling for sync'));
    }
    const strip = (run: (SyncRun & { index: string }) | undefined): SyncRun | undefined => {
      if (run === undefined) return undefined;
      const { index: _index, ...rest } = run;
      return rest;
    };
    const smallRun = strip(small);
    const largeRun = strip(large);
    sync = { ...(smallRun === undefined ? {} : { small: smallRun }), ...(largeRun === undefined ? {} : { large: largeRun }), ...(ceiling === undefined ? {} : { ceiling }) };
  }
  const firstLoad: FirstLoadRun[] = [];
  for (const enabled of [true, false]) {
    const run = await runFirstLoad(context, scales.firstLoadRoots, enabled).catch(failed(`first load (sink.firstLoad ${enabled})`));
    if (run !== undefined) firstLoad.push(run);
  }
  return { scales, sync, firstLoad };
}


/** The summary-table rows of the phase (the report's row shape, without the engine). */
export function syncLoadRows(result: SyncLoadResult | undefined): Array<{ measure: string; sluice: string; ceiling: string; ratio: string; target: string }> {
  if (result === undefined) return [{ measure: 'full sync, documents/s', sluice: 'not measured (--only sync to run it)', ceiling: '', ratio: '', target: '' }];
  const { sync, scales } = result;
  const rows: Array<{ measure: string; sluice: string; ceiling: string; ratio: string; target: string }> = [];
  if (sync.skipped !== undefined) {
    rows.push({ measure: 'full sync, documents/s', sluice: sync.skipped, ceiling: '', ratio: '', target: '' });
  } else {
    const rate = sync.large?.documentsPerSecond;
    const ceiling = sync.ceiling?.best.documentsPerSecond;
    rows.push({
      measure: `full sync (sluice sync), documents/s (${integer(scales.syncRoots)} roots)`,
      sluice: integer(rate),
      ceiling: `${integer(ceiling)} (bulk)`,
      ratio: rate === undefined || ceiling === undefined ? 'n/a' : `${((rate / ceiling) * 100).toFixed(0)} %`,
      target: '',
    });
    const small = sync.small?.peakRss;
    const large = sync.large?.peakRss;
    const growth = small === undefined || large === undefined || small === 0 || large === 0 ? undefined : large / small;
    rows.push({
      measure: `peak RSS, sluice sync: ${integer(scales.syncRootsSmall)} -> ${integer(scales.syncRoots)} roots`,
      sluice: `${mebibytes(small)} -> ${mebibytes(large)}`,
      ceiling: '',
      ratio: growth === undefined ? 'n/a' : `${growth >= 1 ? '+' : ''}${((growth - 1) * 100).toFixed(0)} %`,
      target: `within 20 %: ${growth === undefined ? 'n/a' : Math.abs(growth - 1) <= 0.2 ? 'met' : '**missed**'}`,
    });
  }
  for (const run of result.firstLoad) {
    rows.push({
      measure: `${run.firstLoad ? 'first load' : 'snapshot streamed (sink.firstLoad false)'} of a new pipeline, ${integer(run.roots)} shop roots: documents written per root, time to idle`,
      sluice: `${run.documentsPerRoot.toFixed(2)} per root, idle after ${run.secondsToIdle.toFixed(1)} s (all documents after ${run.secondsToAllDocuments.toFixed(1)} s)`,
      ceiling: '',
      ratio: '',
      target: run.firstLoad ? `1 per root: ${run.documentsPerRoot <= 1.01 ? 'met' : '**missed**'}` : '',
    });
  }
  return rows;
}

/** The details lines of the phase. */
export function syncLoadDetails(result: SyncLoadResult | undefined): string[] {
  if (result === undefined) return ['- full sync and first load: not measured (phase `sync` not run)'];
  const cpu = (shares: Record<string, number>): string =>
    Object.entries(shares)
      .map(([name, share]) => `${name} ${Math.round(share)} %`)
      .join(', ');
  const lines: string[] = [];
  if (result.sync.skipped !== undefined) lines.push(`- full sync: ${result.sync.skipped}`);
  for (const run of [result.sync.small, result.sync.large]) {
    if (run === undefined) continue;
    lines.push(`- sluice sync of a new shop index, ${integer(run.roots)} roots: ${integer(run.written)} written in ${run.seconds.toFixed(1)} s (its summary), ${integer(run.documentsPerSecond)} documents/s, ${integer(run.cpuMicrosecondsPerDocument)} µs of sync CPU per document, peak RSS ${mebibytes(run.peakRss)}; CPU: ${cpu(run.cpu)}`);
  }
  if (result.sync.ceiling !== undefined) lines.push(`- bulk ceiling used for the sync ratio: ${integer(result.sync.ceiling.best.documentsPerSecond)} documents/s (${result.sync.ceiling.best.documentsPerRequest}x${result.sync.ceiling.best.concurrency})`);
  for (const run of result.firstLoad) {
    lines.push(
      `- \`sluice run\` on a new shop of ${integer(run.roots)} products (capture snapshot of ${integer(run.roots * 5 + 200)} rows), sink.firstLoad ${run.firstLoad}: ${integer(run.documentsWritten)} index operations (${run.documentsPerRoot.toFixed(2)} per root), every product indexed after ${run.secondsToAllDocuments.toFixed(1)} s, idle (snapshot captured, group at the end of every change topic) after ${run.secondsToIdle.toFixed(1)} s; ${integer(run.cpuMicrosecondsPerRoot)} µs of \`sluice run\` CPU per root; peak RSS ${mebibytes(run.peakRss)}; CPU: ${cpu(run.cpu)}`,
    );
  }
  return lines;
}
