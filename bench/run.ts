/**
 * `npm run bench`: sluice's throughput, freshness and memory, each as a ratio against a raw
 * ceiling measured in the same run on the same data (issue 7), on each search engine (issue 13):
 * every phase runs once per engine, with the pipeline's `engine:` set to it, and its end-to-end
 * rates are compared with that engine's own raw bulk ceiling. It brings the local stack up,
 * generates the workloads in their own databases, runs sluice as child processes (the CLI from
 * the sources) and writes bench/results/<timestamp>.{md,json} and bench/results/latest.md, then
 * prints the summary table.
 *
 * Phases, one after the other so they do not compete for the CPU:
 * 1. Sakila films: N rounds of updates of all 1,000 films, captured, then the sink catches up
 *    (twice, best pass); the engine's bulk ceiling loads the same film documents.
 * 2. shop with --small-roots products: capture, one sink pass, fan-out (peak RSS at small scale).
 * 3. shop with --roots products: zongji ceiling on the backlog's binlog, capture, kafkajs ceiling
 *    on the captured messages, two sink passes, fan-out of the shared category, the engine's
 *    bulk ceiling on the built documents, then freshness at --rate changes/s with an in-process sink.
 *
 * Options: --roots 200000 --small-roots 10000 --sakila-rounds 60 --rate 1000 --seconds 20
 * --passes 2 (sink passes over each backlog, the best one reported)
 * --profile (CPU profiles and --trace-gc of the sluice processes, summarized in the report)
 * --node-options "<flags>" (NODE_OPTIONS of the sluice processes, e.g. --max-old-space-size=256)
 * --sink '<JSON mapping>' (sink settings of every pipeline file, over its own, e.g. '{"pageSize":250}':
 * A/B runs of sink settings; the report names them)
 * --build-in sink|database (`buildIn` of every document of the run; the report's command line names it)
 * --keep (keep the databases, indexes and topics), --only sakila,small,large,sync (phases to run;
 * `--only peers` with --peers runs the peers phase alone;
 * sync: `sluice sync` at --sync-roots-small 10000 and --sync-roots 100000 products, and the first
 * load of a new pipeline on --first-load-roots 100000 products, see bench/lib/sync-load.ts),
 * --engine elasticsearch|opensearch|both (the engines measured; by default both when both nodes
 * answer, else the one that does), --warm-up-runs 1 (Sakila phases run on each engine before
 * its measured phases and not reported, so that no phase meets a cold engine; 0 for none).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mysql2/promise';
import { loadSakila, SAKILA_DIRECTORY } from '../examples/sakila/load-sakila.js';
import type { DocumentDefinition } from '../src/config/document-definition.js';
import type { EngineKind, SearchEngine } from '../src/sinks/engine/search-engine.js';
import { createStackContext, stackUp } from '../stack/stack.js';
import { gtidPosition, randomServerId, rawZongjiRead, seedCapturePosition, type RawRead } from './lib/binlog.js';
import { summarizeProcessProfiles } from './lib/cpu-profile.js';
import { engineCeiling, readDocuments } from './lib/engine-ceiling.js';
import { measureFreshness } from './lib/freshness.js';
import { PRODUCER_VARIANTS, produceMessages, readMessages, type ProduceRun } from './lib/kafka-ceiling.js';
import { jsonMappingOption } from './lib/json-mapping-option.js';
import { describeMachine } from './lib/machine.js';
import { overrideDocumentBuilder, overrideSinkSettings, PARTITIONS, writeBenchPipeline, type BenchPipeline } from './lib/pipeline-file.js';
import { fullGcSummary, runPipeline, windowOf, type PipelineRunOptions, type PipelineRunResult, type ProfileWindow } from './lib/pipeline-run.js';
import { CpuMeter, servicePids } from './lib/processes.js';
import { KafkaWatch } from './lib/progress.js';
import { disturbedMeasurements, engineComparisonMarkdown, RESULTS_DIRECTORY, summaryRows, tableMarkdown, writeReport, type BenchReport, type EngineSection, type RunFigures } from './lib/report.js';
import { createShop, renameFanOutCategory, SHOP_DOCUMENTS, updateEveryProduct } from './lib/shop.js';
import { peersPhase } from './peers/run-peers.js';
import { syncLoadPhase } from './lib/sync-load.js';
import { benchEngine, benchKafka, endpoints, ENGINE_KINDS, engineReachable, mysqlOptions, note, now, openSql, uniqueSuffix } from './lib/services.js';

const { values: options } = parseArgs({
  options: {
    roots: { type: 'string', default: '200000' },
    'small-roots': { type: 'string', default: '10000' },
    'sakila-rounds': { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    passes: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
    sink: { type: 'string' },
    'build-in': { type: 'string' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string', default: 'sakila,small,large,sync' },
    engine: { type: 'string' },
    'warm-up-runs': { type: 'string', default: '1' },
    peers: { type: 'boolean', default: false },
    // the sync phase (bench/lib/sync-load.ts): sluice sync at two scales, and the first load of a new pipeline
    'sync-roots-small': { type: 'string', default: '10000' },
    'sync-roots': { type: 'string', default: '100000' },
    'first-load-roots': { type: 'string', default: '100000' },
  },
});
const ROOTS = Number(options.roots);
const SMALL_ROOTS = Number(options['small-roots']);
const SAKILA_ROUNDS = Number(options['sakila-rounds']);
const RATE = Number(options.rate);
const SECONDS = Number(options.seconds);
const PASSES = Number(options.passes);
const WARM_UP_RUNS = Number(options['warm-up-runs']);
if (!Number.isInteger(WARM_UP_RUNS) || WARM_UP_RUNS < 0) {
  console.error(`bench: --warm-up-runs ${options['warm-up-runs']}: give a whole number, 0 for no warm-up`);
  process.exit(2);
}
const PHASE_TIMEOUT_MS = 600_000;
/** The phases --only selects from; `peers` alone (with --peers) runs no engine phase. */
const ENGINE_PHASES = ['sakila', 'small', 'large', 'sync'] as const;
const ONLY = new Set(options.only.split(',').map((name) => name.trim()));
const UNKNOWN_PHASES = [...ONLY].filter((name) => name !== 'peers' && !(ENGINE_PHASES as readonly string[]).includes(name));
if (UNKNOWN_PHASES.length > 0) {
  console.error(`bench: --only ${options.only}: unknown phase ${UNKNOWN_PHASES.join(', ')}; the phases are ${[...ENGINE_PHASES, 'peers'].join(', ')}`);
  process.exit(2);
}
/** Whether any per-engine phase runs (not with --only peers). */
const ENGINE_PHASES_SELECTED = ENGINE_PHASES.some((name) => ONLY.has(name));
/** --sink: the JSON mapping of sink settings it gives; anything else exits 2 with the fix. */
const SINK_SETTINGS = options.sink === undefined ? undefined : jsonMappingOption('bench: --sink', options.sink, '{"pageSize":250,"buildBatchSize":250}');
if (SINK_SETTINGS !== undefined) overrideSinkSettings(SINK_SETTINGS);
const BUILD_IN = options['build-in'];
if (BUILD_IN !== undefined) {
  if (BUILD_IN !== 'sink' && BUILD_IN !== 'database') {
    console.error(`bench: --build-in ${BUILD_IN}: write --build-in sink or --build-in database`);
    process.exit(2);
  }
  overrideDocumentBuilder(BUILD_IN);
}
/** The command line of this run, as the reports give it. */
const COMMAND = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
/** --node-options, as the `nodeOptions` setting of the phases that start sluice processes. */
const NODE_OPTIONS_SETTING = options['node-options'] === undefined ? {} : { nodeOptions: options['node-options'] };

/** One engine's section of the report, filled in by the phases. */
type Mutable = {
  -readonly [K in keyof Pick<EngineSection, 'ceilings' | 'sluice'>]: { -readonly [P in keyof EngineSection[K]]: EngineSection[K][P] };
} & { readonly engine: EngineKind; readonly errors: Array<{ phase: string; message: string }> };

/** The short tag of an engine in pipeline, database and process names. */
const ENGINE_TAGS: Readonly<Record<EngineKind, string>> = { elasticsearch: 'es', opensearch: 'os' };

/** The engines to measure: --engine, or both when both nodes answer, else the one that does. */
async function chosenEngines(): Promise<EngineKind[]> {
  const wanted = options.engine;
  if (wanted === 'both') return [...ENGINE_KINDS];
  if (wanted !== undefined) {
    if (!ENGINE_KINDS.includes(wanted as EngineKind)) throw new Error(`--engine ${wanted}: use elasticsearch, opensearch or both`);
    return [wanted as EngineKind];
  }
  const reachable: EngineKind[] = [];
  for (const kind of ENGINE_KINDS) {
    if (await engineReachable(kind)) reachable.push(kind);
    else note(`${kind} does not answer: not measured (--engine ${kind} to insist)`);
  }
  if (reachable.length === 0) throw new Error('neither Elasticsearch nor OpenSearch answers (SLUICE_ES_NODE / SLUICE_OS_NODE, or npm run stack -- up)');
  return reachable;
}

/** What every phase works with: one engine's run. */
interface Bench {
  readonly kafka: Kafka;
  readonly watch: KafkaWatch;
  readonly kind: EngineKind;
  readonly engine: SearchEngine;
  /** Unique per engine: names of databases, pipelines, topics and indexes. */
  readonly suffix: string;
  readonly report: Mutable;
  /** Databases and pipeline names created, removed at the end. */
  readonly databases: string[];
  readonly pipelines: string[];
  readonly profileDir: string | undefined;
  /** Windows of the profiled processes to summarize in the report. */
  readonly profileWindows: ProfileWindow[];
}

/** The options every pipeline run shares. */
function runOptions(bench: Bench): Pick<PipelineRunOptions, 'profileDir' | 'nodeOptions' | 'timeoutMs'> {
  return {
    ...(bench.profileDir === undefined ? {} : { profileDir: bench.profileDir }),
    ...NODE_OPTIONS_SETTING,
    timeoutMs: PHASE_TIMEOUT_MS,
  };
}

/** Meters the services and this process from now; the returned function reads the shares. */
function serviceMeter(): () => Record<string, number> {
  const meter = new CpuMeter({ bench: process.pid, ...servicePids() });
  return () => meter.read();
}

/** Without process handles and pipelines, for the report. */
function figures(run: PipelineRunResult): RunFigures {
  const { source: _source, lastPipeline: _pipeline, ...rest } = run;
  return rest;
}

function withoutIndex(definition: DocumentDefinition): Omit<DocumentDefinition, 'index'> {
  const { index: _index, ...rest } = definition;
  return rest;
}

/** Phase 1: Sakila film documents. */
async function sakilaPhase(bench: Bench): Promise<void> {
  const database = `bench_sakila_${bench.suffix}`;
  bench.databases.push(database);
  note(`sakila: loading Sakila into ${database}`);
  await loadSakila(endpoints.mysqlUrl, database);
  const example = parse(readFileSync(join(SAKILA_DIRECTORY, 'pipeline.yml'), 'utf8')) as { documents: Record<string, DocumentDefinition> };
  const films = example.documents.films;
  if (films === undefined) throw new Error('examples/sakila/pipeline.yml has no films document');
  const pipeline = writeBenchPipeline(`bench-sakila-${bench.suffix}`, database, { films: withoutIndex(films) }, { engine: bench.kind });
  bench.pipelines.push(pipeline.pipeline);
  const sql = await openSql(database);
  try {
    await seedCapturePosition(bench.kafka, pipeline.pipeline, await gtidPosition(sql));
    for (let round = 0; round < SAKILA_ROUNDS; round += 1) await sql.query('UPDATE film SET rental_rate = rental_rate + 0.01');
    const run = await runPipeline(
      { ...runOptions(bench), label: `${bench.kind}-sakila`, pipeline, document: 'films', backlogTopics: [pipeline.topic('film')], backlogMessages: SAKILA_ROUNDS * 1000, sinkPasses: PASSES },
      bench.watch,
      bench.engine,
    );
    bench.report.sluice.sakila = { ...figures(run), films: 1000 };
    bench.profileWindows.push(...run.windows.filter((window) => window.process.includes('-sink')));
    note(`sakila: ${bench.kind} bulk ceiling on the film documents`);
    const index = run.lastPipeline.indexes.films ?? '';
    const documents = await readDocuments(bench.engine, index);
    bench.report.ceilings.bulkSakila = await engineCeiling(bench.engine, index, documents, {
      sampleSize: documents.length,
      rounds: Math.max(1, Math.round(run.sink.documents / documents.length)),
      indexPrefix: `${pipeline.pipeline}-ceiling`,
      meter: serviceMeter,
      pacedAt: run.sink.documentsPerSecond,
    });
  } finally {
    await sql.end();
  }
}

/**
 * Warms the engine with the Sakila phase itself, run and thrown away. A JVM engine compiles its
 * indexing path as it works: on an engine that had not indexed since it started, sluice's first
 * Sakila passes met Elasticsearch spending 325-500 µs of CPU per document (OpenSearch 350-580)
 * against 79-107 (120-147) once one Sakila phase had run, while the ceilings, loaded after
 * sluice's passes, met a warmer engine. Synthetic documents did not stand in for it: 60 s of them
 * (655,000 documents, versioned and overwritten like sluice's) left the first pass at 325 µs.
 */
async function warmUp(bench: Bench, run: number): Promise<void> {
  const scratch: Bench = {
    ...bench,
    // its own names per run: a second warm-up must not load into the first one's database and topics
    suffix: `${bench.suffix}w${run}`,
    report: { engine: bench.kind, ceilings: {}, sluice: { fullSync: bench.report.sluice.fullSync }, errors: [] },
    profileDir: undefined,
    profileWindows: [],
  };
  // its database, topics and indexes are the bench's to clean up (the arrays are shared)
  await sakilaPhase(scratch);
}

/** Creates a shop database, seeds the capture position, writes the backlog. */
async function prepareShop(bench: Bench, roots: number): Promise<{ pipeline: BenchPipeline; sql: Connection; start: string }> {
  const tag = roots >= 1000 ? `${Math.round(roots / 1000)}k` : String(roots);
  const database = `bench_shop${tag}_${bench.suffix}`;
  bench.databases.push(database);
  note(`shop ${tag}: generating ${roots.toLocaleString('en-US')} products with children in ${database}`);
  const sql = await openSql();
  await createShop(sql, database, roots);
  await sql.changeUser({ database });
  const pipeline = writeBenchPipeline(`bench-shop${tag}-${bench.suffix}`, database, SHOP_DOCUMENTS, { engine: bench.kind });
  bench.pipelines.push(pipeline.pipeline);
  const start = await gtidPosition(sql);
  await seedCapturePosition(bench.kafka, pipeline.pipeline, start);
  note(`shop ${tag}: the backlog (every product updated once)`);
  await updateEveryProduct(sql, database, roots);
  return { pipeline, sql, start };
}

/** Phase 2: the small shop, for memory at small scale (one pass, like the large run's last pass). */
async function smallShopPhase(bench: Bench): Promise<void> {
  const { pipeline, sql } = await prepareShop(bench, SMALL_ROOTS);
  try {
    const run = await runPipeline(
      {
        ...runOptions(bench),
        label: `${bench.kind}-shop-small`,
        pipeline,
        document: 'products',
        backlogTopics: [pipeline.topic('product')],
        backlogMessages: SMALL_ROOTS,
        fanOut: { topic: pipeline.topic('category'), write: () => renameFanOutCategory(sql, pipeline.database) },
      },
      bench.watch,
      bench.engine,
    );
    bench.report.sluice.shopSmall = figures(run);
  } finally {
    await sql.end();
  }
}

/** The kafkajs ceiling on the captured product messages. */
async function kafkaCeiling(kafka: Kafka, pipeline: BenchPipeline): Promise<{ runs: ProduceRun[]; best: ProduceRun }> {
  note('kafkajs ceiling: reading the captured messages back');
  const messages = await readMessages(kafka, pipeline.topic('product'), ROOTS);
  const admin = kafka.admin();
  await admin.connect();
  const runs: ProduceRun[] = [];
  try {
    for (const [position, variant] of PRODUCER_VARIANTS.entries()) {
      const topic = `${pipeline.pipeline}.bench-raw-${position}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
      try {
        runs.push(await produceMessages(kafka, topic, messages, variant));
        note(`kafkajs ceiling: ${variant.name}: ${Math.round(runs[runs.length - 1]?.messagesPerSecond ?? 0)} messages/s`);
      } finally {
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const plain = runs.filter((run) => !run.variant.startsWith('idempotent'));
  const best = plain.reduce((a, b) => (b.messagesPerSecond > a.messagesPerSecond ? b : a));
  return { runs, best };
}

/** Phase 3: the large shop: ceilings, capture, sink, fan-out, freshness. */
async function largeShopPhase(bench: Bench): Promise<void> {
  const { report } = bench;
  const { pipeline, sql, start } = await prepareShop(bench, ROOTS);
  let run: PipelineRunResult | undefined;
  try {
    note('zongji ceiling: reading the backlog binlog range 3 times');
    const reads: RawRead[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) reads.push(await rawZongjiRead(mysqlOptions, pipeline.database, start, ROOTS, randomServerId()));
    report.ceilings.zongji = { runs: reads, best: reads.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a)) };
    run = await runPipeline(
      {
        ...runOptions(bench),
        label: `${bench.kind}-shop-large`,
        pipeline,
        document: 'products',
        backlogTopics: [pipeline.topic('product')],
        backlogMessages: ROOTS,
        afterCapture: async () => {
          report.ceilings.kafka = await kafkaCeiling(bench.kafka, pipeline).catch((error: unknown) => {
            report.errors.push({ phase: `${bench.kind}: kafkajs ceiling`, message: String(error) });
            return undefined;
          });
        },
        sinkPasses: PASSES,
        fanOut: { topic: pipeline.topic('category'), write: () => renameFanOutCategory(sql, pipeline.database) },
        keepSource: true,
      },
      bench.watch,
      bench.engine,
    );
    report.sluice.shopLarge = figures(run);
    bench.profileWindows.push(...run.windows);

    note(`${bench.kind} bulk ceiling on the shop documents`);
    const last = run.lastPipeline;
    const index = last.indexes.products ?? '';
    const documents = await readDocuments(bench.engine, index);
    report.ceilings.bulkShop = await engineCeiling(bench.engine, index, documents, {
      sampleSize: Math.min(50_000, documents.length),
      indexPrefix: `${pipeline.pipeline}-ceiling`,
      meter: serviceMeter,
      pacedAt: run.sink.documentsPerSecond,
    });
    note(`${bench.kind} bulk ceiling: ${Math.round(report.ceilings.bulkShop.best.documentsPerSecond)} documents/s`);

    note(`freshness: ${RATE} changes/s for ${SECONDS} s`);
    const source = run.source;
    try {
      const settings = { changesPerSecond: RATE, seconds: SECONDS, warmUpSeconds: 5, roots: ROOTS, probeEvery: 10, connections: 4 };
      report.sluice.freshness = await measureFreshness(last, settings, {
        onWriting: () => {
          const meter = new CpuMeter({ bench: process.pid, ...(source === undefined ? {} : { source: source.pid }), ...servicePids() });
          return () => meter.read();
        },
        assertSourceRunning: () => source?.assertRunning(),
      });
      // the source's live heap once it has also streamed the freshness run's single-row transactions
      if (source !== undefined && bench.profileDir !== undefined) report.sluice.sourceHeapAfterFreshness = fullGcSummary(source);
      const fresh = report.sluice.freshness;
      if (source !== undefined) bench.profileWindows.push(windowOf(source, `freshness at ${RATE} changes/s`, fresh.window.fromMs, fresh.window.toMs));
      note(`freshness: acknowledged p99 ${fresh.acknowledged.p99} ms, searchable p99 ${fresh.searchable.p99} ms at ${Math.round(fresh.achievedRate)} changes/s`);
    } catch (error) {
      report.errors.push({ phase: `${bench.kind}: freshness`, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  } finally {
    await run?.source?.stop();
    await sql.end();
  }
}

/** Drops what the run created: databases, indexes, topics and consumer groups; says what it could not drop. */
async function cleanUp(bench: Bench): Promise<void> {
  const failed = (what: string) => (error: unknown) => note(`clean-up: could not drop ${what}: ${String(error)}`);
  const sql = await openSql();
  try {
    for (const database of bench.databases) await sql.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(failed(`database ${database}`));
  } finally {
    await sql.end();
  }
  for (const pipeline of bench.pipelines) {
    // sibling pipelines (second sink passes) are named <pipeline>-p<n>: the prefixes cover them
    await bench.engine.deleteIndex(`${pipeline}-*`).catch(failed(`indexes ${pipeline}-*`));
    await bench.watch.deleteWithPrefix(pipeline).catch(failed(`topics and groups ${pipeline}*`));
  }
}

async function main(): Promise<void> {
  const began = now();
  const startedAt = new Date().toISOString();
  note('bringing the stack up');
  await stackUp(createStackContext());
  const kinds = await chosenEngines();
  note(`measuring ${kinds.join(' then ')}`);
  const engines = kinds.map((kind) => benchEngine(kind));
  const kafka = benchKafka();
  const watch = new KafkaWatch(kafka);
  await watch.connect();
  const machine = await describeMachine(engines);
  const profileDir = options.profile ? join(RESULTS_DIRECTORY, 'profiles', startedAt.replace(/[:.]/g, '-')) : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const suffix = uniqueSuffix();
  const errors: Array<{ phase: string; message: string }> = [];
  const profileWindows: ProfileWindow[] = [];
  const benches: Bench[] = engines.map((engine) => ({
    kafka,
    watch,
    kind: engine.kind,
    engine,
    suffix: `${ENGINE_TAGS[engine.kind]}${suffix}`,
    report: { engine: engine.kind, ceilings: {}, sluice: { fullSync: { measured: false, reason: 'not measured: sluice sync does not exist yet (issue 5)' } }, errors },
    databases: [],
    pipelines: [],
    profileDir,
    profileWindows,
  }));
  const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      note(`${name} failed: ${String(error)}`);
      errors.push({ phase: name, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  };
  try {
    // one engine after the other, every phase on each, so the engines do not compete for the CPU
    for (const bench of ENGINE_PHASES_SELECTED ? benches : []) {
      note(`${bench.kind}: every phase with the sink writing to ${bench.kind}`);
      for (let run = 1; run <= WARM_UP_RUNS; run += 1) {
        await phase(`${bench.kind}: warm-up ${run}`, async () => {
          note(`${bench.kind}: warm-up ${run} of ${WARM_UP_RUNS}: the Sakila phase, not reported`);
          await warmUp(bench, run);
        });
      }
      if (ONLY.has('sakila')) await phase(`${bench.kind}: sakila`, () => sakilaPhase(bench));
      if (ONLY.has('small')) await phase(`${bench.kind}: shop (small)`, () => smallShopPhase(bench));
      if (ONLY.has('large')) await phase(`${bench.kind}: shop (large)`, () => largeShopPhase(bench));
      if (ONLY.has('sync')) {
        await phase(`${bench.kind}: sync`, async () => {
          const context = { ...bench, ceiling: bench.report.ceilings.bulkShop, timeoutMs: PHASE_TIMEOUT_MS, ...NODE_OPTIONS_SETTING };
          const scales = { syncRootsSmall: Number(options['sync-roots-small']), syncRoots: Number(options['sync-roots']), firstLoadRoots: Number(options['first-load-roots']) };
          bench.report.sluice.syncLoad = await syncLoadPhase(context, scales, errors);
        });
      }
      if (!options.keep) {
        note(`${bench.kind}: cleaning up`);
        await cleanUp(bench).catch((error: unknown) => note(`clean-up failed: ${String(error)}`));
      }
    }
    // --peers (issue 18): the same workloads through Debezium Server and PGSync, a ratio table (bench/peers/)
    if (options.peers) await peersPhase({ roots: ROOTS, kafka, watch, suffix, timeoutMs: PHASE_TIMEOUT_MS, command: COMMAND, ...NODE_OPTIONS_SETTING });
  } finally {
    await watch.disconnect();
    for (const engine of engines) await engine.close();
  }
  if (!ENGINE_PHASES_SELECTED) {
    note(`no engine phase was selected (--only ${options.only}): no engine report${options.peers ? ', only the peers report above' : ''}`);
    return;
  }
  // each window of interest of a profiled process, cut from its main thread's profile
  const profiles =
    profileDir === undefined
      ? []
      : profileWindows.flatMap((window) => {
          const directory = join(profileDir, window.process);
          const summary = existsSync(directory) ? summarizeProcessProfiles(directory, 15, { from: window.from, to: window.to }) : undefined;
          return summary === undefined ? [] : [{ title: `sluice ${window.process}, ${window.what}`, summary }];
        });
  const full: BenchReport = {
    startedAt,
    totalSeconds: (now() - began) / 1000,
    command: COMMAND,
    machine,
    settings: {
      roots: ROOTS,
      smallRoots: SMALL_ROOTS,
      sakilaRounds: SAKILA_ROUNDS,
      freshnessRate: RATE,
      freshnessSeconds: SECONDS,
      sinkPasses: PASSES,
      warmUpRuns: WARM_UP_RUNS,
      profiled: options.profile,
      ...NODE_OPTIONS_SETTING,
      ...(SINK_SETTINGS === undefined ? {} : { sinkSettings: SINK_SETTINGS }),
      engines: kinds,
    },
    engines: benches.map(({ report: { engine, ceilings, sluice } }) => ({ engine, ceilings, sluice })),
    profiles,
    errors,
  };
  const file = writeReport(full);
  const disturbed = disturbedMeasurements(full);
  const warning = disturbed.length === 0 ? '' : `\nWarning: skewed figures: ${disturbed.join('; ')}. Run again on a quiet machine.\n`;
  process.stdout.write(`\n${engineComparisonMarkdown(full)}\n\n${tableMarkdown(summaryRows(full))}\n${warning}\nReport: ${file} (and latest.md); ${full.totalSeconds.toFixed(0)} s in all.\n`);
  if (errors.length > 0) {
    process.stdout.write(`${errors.length} phase(s) failed: ${errors.map((error) => error.phase).join(', ')}\n`);
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  // client libraries may keep handles open: the report is written, so leave
  .finally(() => process.exit());
