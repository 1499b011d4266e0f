/**
 * The benchmark report: every figure of one run, each sluice figure next to the ceiling it is
 * compared with, the targets of issue 7, per search engine (each sluice figure against that
 * engine's own ceilings, measured in the same run), written as JSON and markdown under
 * bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../stack/settings.js';
import type { ProfileSummary } from './cpu-profile.js';
import { profileMarkdown } from './cpu-profile.js';
import type { EngineKind } from '../../src/sinks/engine/search-engine.js';
import { MIN_CEILING_SECONDS, type LoadRun, type MeteredLoadRun, type PacedLoadRun } from './engine-ceiling.js';
import type { FreshnessResult } from './freshness.js';
import type { ProduceRun } from './kafka-ceiling.js';
import type { RawRead } from './binlog.js';
import type { MachineDescription } from './machine.js';
import type { FullGcSummary, PipelineRunResult } from './pipeline-run.js';
import type { ThreadSchedule } from './processes.js';
import type { EngineWorkPerDocument } from './progress.js';
import { duration, integer, mebibytes, percent, ratio } from './stats.js';
import { syncLoadDetails, syncLoadRows, type SyncLoadResult } from './sync-load.js';

/** The folder of the reports. */
export const RESULTS_DIRECTORY = join(PROJECT_ROOT, 'bench', 'results');

/** A pipeline run without its process handle and pipeline. */
export type RunFigures = Omit<PipelineRunResult, 'source' | 'lastPipeline'>;

/** The engine's raw bulk ceiling on some documents: every config tried, and the best. */
export interface BulkCeiling {
  readonly trials: readonly LoadRun[];
  readonly best: MeteredLoadRun;
  /** The best config again, paced at sluice's end-to-end rate (see engineCeiling). */
  readonly paced?: PacedLoadRun;
}

/** Every phase of the bench run with one search engine as the sink's target. */
export interface EngineSection {
  readonly engine: EngineKind;
  readonly ceilings: {
    readonly zongji?: { readonly runs: readonly RawRead[]; readonly best: RawRead };
    readonly kafka?: { readonly runs: readonly ProduceRun[]; readonly best: ProduceRun };
    /** This engine's raw bulk ceiling on the shop documents. */
    readonly bulkShop?: BulkCeiling;
    /** This engine's raw bulk ceiling on the Sakila film documents. */
    readonly bulkSakila?: BulkCeiling;
  };
  readonly sluice: {
    readonly sakila?: RunFigures & { readonly films: number };
    readonly shopSmall?: RunFigures;
    readonly shopLarge?: RunFigures;
    readonly fullSync: { readonly measured: false; readonly reason: string };
    /** The sync phase: sluice sync at two scales, the first load of a new pipeline (bench/lib/sync-load.ts). */
    readonly syncLoad?: SyncLoadResult;
    readonly freshness?: FreshnessResult;
    /** With --profile: the large run's source heap after full GCs, at the end of the freshness run. */
    readonly sourceHeapAfterFreshness?: FullGcSummary;
  };
}

/** Everything one `npm run bench` measured. */
export interface BenchReport {
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly settings: {
    readonly roots: number;
    readonly smallRoots: number;
    readonly sakilaRounds: number;
    readonly freshnessRate: number;
    readonly freshnessSeconds: number;
    readonly sinkPasses: number;
    /** Sakila phases run on each engine before its measured phases, not reported (absent in reports before 2026-12-05). */
    readonly warmUpRuns?: number;
    readonly profiled: boolean;
    readonly nodeOptions?: string;
    /** --sink: sink settings written over the pipeline files' own. */
    readonly sinkSettings?: Readonly<Record<string, unknown>>;
    /** The engines measured, in order (--engine). */
    readonly engines: readonly EngineKind[];
  };
  /** One section per engine measured. */
  readonly engines: readonly EngineSection[];
  readonly profiles: ReadonlyArray<{ readonly title: string; readonly summary: ProfileSummary }>;
  readonly errors: ReadonlyArray<{ readonly phase: string; readonly message: string }>;
}

/** A line of the summary table. */
interface Row {
  readonly engine: string;
  readonly measure: string;
  readonly sluice: string;
  readonly ceiling: string;
  readonly ratio: string;
  readonly target: string;
}

const met = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : '**missed**');

/** The summary table of a report: the rows of each engine in turn. */
export function summaryRows(report: BenchReport): Row[] {
  return report.engines.flatMap((section) => engineRows(section, report.settings).map((row) => ({ engine: section.engine, ...row })));
}

/** The summary rows of one engine, each ratio against that engine's own ceilings. */
function engineRows(section: EngineSection, settings: BenchReport['settings']): Array<Omit<Row, 'engine'>> {
  const { ceilings, sluice } = section;
  const rows: Array<Omit<Row, 'engine'>> = [];
  const zongji = ceilings.zongji?.best.rowsPerSecond;
  const kafka = ceilings.kafka?.best.messagesPerSecond;
  const capture = sluice.shopLarge?.capture.rowsPerSecond;
  const captureRatio = ratio(capture, zongji);
  rows.push({
    measure: `capture, rows/s (${integer(settings.roots)} updates)`,
    sluice: integer(capture),
    ceiling: `${integer(zongji)} (zongji read)`,
    ratio: percent(captureRatio),
    target: `>= 50 %: ${met(captureRatio === undefined ? undefined : captureRatio >= 0.5)}`,
  });
  rows.push({ measure: 'capture vs Kafka, messages/s', sluice: integer(capture), ceiling: `${integer(kafka)} (kafkajs ${ceilings.kafka?.best.variant ?? ''})`, ratio: percent(ratio(capture, kafka)), target: '' });
  const sakila = sluice.sakila?.sink.documentsPerSecond;
  const sakilaCeiling = ceilings.bulkSakila?.best.documentsPerSecond;
  const sakilaRatio = ratio(sakila, sakilaCeiling);
  rows.push({
    measure: 'end-to-end, Sakila film documents/s',
    sluice: integer(sakila),
    ceiling: `${integer(sakilaCeiling)} (${section.engine} bulk)`,
    ratio: percent(sakilaRatio),
    target: `>= 70 %: ${met(sakilaRatio === undefined ? undefined : sakilaRatio >= 0.7)}`,
  });
  const shop = sluice.shopLarge?.sink.documentsPerSecond;
  const shopCeiling = ceilings.bulkShop?.best.documentsPerSecond;
  const shopRatio = ratio(shop, shopCeiling);
  rows.push({
    measure: `end-to-end, shop documents/s (${integer(settings.roots)} roots, 5 children each)`,
    sluice: integer(shop),
    ceiling: `${integer(shopCeiling)} (${section.engine} bulk)`,
    ratio: percent(shopRatio),
    target: `>= 70 %: ${met(shopRatio === undefined ? undefined : shopRatio >= 0.7)}`,
  });
  rows.push(...syncLoadRows(sluice.syncLoad));
  const fresh = sluice.freshness;
  if (fresh !== undefined) {
    const p99 = fresh.acknowledged.p99;
    rows.push({
      measure: `freshness, commit -> acknowledged p50 / p95 / p99 (${integer(fresh.achievedRate)} changes/s)`,
      sluice: [fresh.acknowledged.p50, fresh.acknowledged.p95, p99].map(duration).join(' / '),
      ceiling: '',
      ratio: '',
      target: `p99 < 1 s: ${met(p99 === null ? undefined : p99 < 1000)}`,
    });
    rows.push({
      measure: 'freshness, commit -> searchable p50 / p95 / p99',
      sluice: [fresh.searchable.p50, fresh.searchable.p95, fresh.searchable.p99].map(duration).join(' / '),
      ceiling: '',
      ratio: '',
      target: '',
    });
  } else {
    rows.push({ measure: 'freshness', sluice: 'failed (see errors)', ceiling: '', ratio: '', target: 'p99 < 1 s: n/a' });
  }
  const fanOut = sluice.shopLarge?.fanOut;
  rows.push({
    measure: `fan-out: 1 category row -> ${integer(fanOut?.documents)} documents, commit -> last acknowledged`,
    sluice: fanOut === undefined ? 'n/a' : `${duration(fanOut.milliseconds)} (${integer(fanOut.documentsPerSecond)} documents/s)`,
    ceiling: `${integer(shopCeiling)} documents/s (${section.engine} bulk)`,
    ratio: percent(ratio(fanOut?.documentsPerSecond, shopCeiling)),
    target: '',
  });
  for (const process of ['source', 'sink'] as const) {
    const small = sluice.shopSmall?.peakRss[process];
    const large = sluice.shopLarge?.peakRss[process];
    const growth = ratio(large, small);
    rows.push({
      measure: `peak RSS, sluice ${process}: ${integer(settings.smallRoots)} -> ${integer(settings.roots)} roots`,
      sluice: `${mebibytes(small)} -> ${mebibytes(large)}`,
      ceiling: '',
      ratio: growth === undefined ? 'n/a' : `${growth >= 1 ? '+' : ''}${((growth - 1) * 100).toFixed(0)} %`,
      target: `within 20 %: ${met(growth === undefined ? undefined : Math.abs(growth - 1) <= 0.2)}`,
    });
  }
  return rows;
}

/** The table as markdown. */
export function tableMarkdown(rows: readonly Row[]): string {
  return [
    '| engine | measure | sluice | ceiling (same run, same engine) | ratio | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.engine} | ${row.measure} | ${row.sluice} | ${row.ceiling} | ${row.ratio} | ${row.target} |`),
  ].join('\n');
}

/**
 * The end-to-end ratios side by side: per engine, sluice's documents/s over that engine's own raw
 * bulk ceiling measured in the same run (the figure issue 13 asks the bench for).
 */
export function engineComparisonMarkdown(report: BenchReport): string {
  const cell = (sluice: number | undefined, ceiling: number | undefined): string =>
    sluice === undefined || ceiling === undefined ? 'n/a' : `${integer(sluice)} / ${integer(ceiling)} = ${percent(ratio(sluice, ceiling))}`;
  return [
    '| engine | end-to-end / own bulk ceiling, Sakila film documents/s | end-to-end / own bulk ceiling, shop documents/s |',
    '| --- | --- | --- |',
    ...report.engines.map(
      ({ engine, ceilings, sluice }) =>
        `| ${engine} | ${cell(sluice.sakila?.sink.documentsPerSecond, ceilings.bulkSakila?.best.documentsPerSecond)} | ${cell(sluice.shopLarge?.sink.documentsPerSecond, ceilings.bulkShop?.best.documentsPerSecond)} |`,
    ),
  ].join('\n');
}

function cpuLine(cpu: Record<string, number> | undefined): string {
  if (cpu === undefined) return 'n/a';
  return Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .map(([name, share]) => `${name} ${share} %`)
    .join(', ');
}

/**
 * The CPU-time bound of a measured rate: all metered processes together used T µs of CPU per item,
 * so `cores` cores cannot do more than cores / T items per second, however well the work overlaps.
 */
function cpuBound(cpu: Record<string, number> | undefined, seconds: number, count: number, cores: number): string {
  if (cpu === undefined || !(count > 0)) return 'n/a';
  const total = Object.entries(cpu).reduce((sum, [name, share]) => (name === 'other' ? sum : sum + share), 0);
  const microseconds = ((total / 100) * seconds * 1e6) / count;
  return `${Math.round(microseconds)} µs of CPU per item in all processes together, so ${cores} cores allow at most ${integer((cores * 1e6) / microseconds)}/s`;
}

/** CPU time per document (or row) of each process: its share of a core x seconds / count, in microseconds. */
function cpuPerItem(cpu: Record<string, number> | undefined, seconds: number, count: number): string {
  if (cpu === undefined || Object.keys(cpu).length === 0 || !(count > 0)) return 'n/a';
  return Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .filter(([name, share]) => share > 0 && name !== 'other')
    .map(([name, share]) => `${name} ${Math.round(((share / 100) * seconds * 1e6) / count)} µs`)
    .join(', ');
}

/** The sink's main thread over the pass (from its schedstat), then `; `; nothing when the kernel keeps no schedstat. */
function mainThreadLine(schedule: ThreadSchedule | undefined): string {
  if (schedule === undefined) return '';
  return `the sink's main thread (schedstat): running ${schedule.running} %, waiting for a core ${schedule.waitingForCore} %, idle ${schedule.idle} % of the time; `;
}

/** The engine's thread time per document from the index's stats (it sets the engine's share of the CPU). */
function engineWorkLine(work: EngineWorkPerDocument | undefined): string {
  if (work === undefined) return 'engine thread time per document (index stats): n/a';
  return `engine thread time per document (index stats): indexing ${Math.round(work.indexingUs)} µs, refresh ${Math.round(work.refreshUs)} µs, merges ${Math.round(work.mergeUs)} µs`;
}

function runDetails(title: string, run: RunFigures | undefined, cores: number): string[] {
  if (run === undefined) return [`- ${title}: not measured (see errors)`];
  return [
    `- ${title}:`,
    `  - capture: ${integer(run.capture.rows)} rows in ${run.capture.seconds.toFixed(2)} s = ${run.capture.seconds < 0.5 ? 'too short to measure' : `${integer(run.capture.rowsPerSecond)} rows/s`}; CPU (% of one core): ${cpuLine(run.capture.cpu)}; CPU per row: ${cpuPerItem(run.capture.cpu, run.capture.seconds, run.capture.rows)}`,
    ...run.sinkPasses.map(
      (pass, position) =>
        `  - sink${run.sinkPasses.length > 1 ? ` pass ${position + 1}${pass === run.sink ? ' (best)' : ''}` : ''}: ${integer(pass.changes)} changes -> ${integer(pass.documents)} documents in ${pass.seconds.toFixed(2)} s = ${integer(pass.documentsPerSecond)} documents/s (start-up before the first acknowledged document: ${pass.startupSeconds.toFixed(1)} s, not counted); CPU: ${cpuLine(pass.cpu)}; CPU per document: ${cpuPerItem(pass.cpu, pass.seconds, pass.documents)} (${cpuBound(pass.cpu, pass.seconds, pass.documents, cores)}); ${mainThreadLine(pass.mainThread)}${engineWorkLine(pass.engineWork)}; peak RSS ${mebibytes(pass.peakRss)}`,
    ),
    ...(run.fanOut === undefined
      ? []
      : [`  - fan-out: ${integer(run.fanOut.documents)} documents acknowledged ${duration(run.fanOut.milliseconds)} after the commit (${integer(run.fanOut.documentsPerSecond)} documents/s); CPU: ${cpuLine(run.fanOut.cpu)}`]),
    `  - peak RSS (VmHWM): source ${mebibytes(run.peakRss.source)}, sink ${mebibytes(run.peakRss.sink)}${run.sinkPasses.length > 1 ? ' (the last pass, which also ran the fan-out)' : ''}; the sink's RSS once a second from its start to the end of the run (MiB): ${run.sinkRssSeries.join(', ')}`,
    ...(run.fullGcs === undefined
      ? []
      : [
          `  - heap after full GCs (--trace-gc, main thread): ${(['source', 'sink'] as const)
            .map((name) => {
              const gc = run.fullGcs?.[name];
              return gc === undefined || gc.count === 0 ? `${name}: no full GC` : `${name}: ${gc.count} full GCs, live heap at most ${gc.maxLiveMiB} MiB (${gc.lastLiveMiB} MiB after the last), heap kept by V8 at most ${gc.maxKeptMiB} MiB`;
            })
            .join('; ')}`,
        ]),
  ];
}

/** Every CPU reading of the report, with where it was taken. */
function cpuReadings(section: EngineSection): Array<{ where: string; cpu: Record<string, number> }> {
  const readings: Array<{ where: string; cpu: Record<string, number> }> = [];
  const add = (where: string, cpu: Record<string, number> | undefined): void => {
    if (cpu !== undefined) readings.push({ where: `${section.engine}: ${where}`, cpu });
  };
  for (const [name, run] of [['Sakila', section.sluice.sakila], ['small shop', section.sluice.shopSmall], ['large shop', section.sluice.shopLarge]] as const) {
    if (run === undefined) continue;
    add(`${name} capture`, run.capture.cpu);
    run.sinkPasses.forEach((pass, position) => add(`${name} sink pass ${position + 1}`, pass.cpu));
    add(`${name} fan-out`, run.fanOut?.cpu);
  }
  add('Sakila bulk ceiling', section.ceilings.bulkSakila?.best.cpu);
  add('shop bulk ceiling', section.ceilings.bulkShop?.best.cpu);
  add('freshness', section.sluice.freshness?.cpu);
  return readings;
}

/**
 * What skewed the figures: measurements during which other processes used more than a fifth of a
 * core, and an engine started less than 5 minutes before the run (its JIT still cold) when no
 * warm-up ran.
 */
export function disturbedMeasurements(report: BenchReport): string[] {
  return [
    // a warm-up (a Sakila phase run and not reported) warms a freshly started engine
    ...report.machine.engines.flatMap(({ engine, uptimeSeconds }) =>
      uptimeSeconds !== undefined && uptimeSeconds < 300 && !((report.settings.warmUpRuns ?? 0) > 0)
        ? [`every ${engine} figure (${engine} had started only ${uptimeSeconds} s before the run, and --warm-up-runs 0 left it cold)`]
        : [],
    ),
    ...report.engines
      .flatMap(cpuReadings)
      .filter((reading) => (reading.cpu.other ?? 0) > 20)
      .map((reading) => `${reading.where} (other processes: ${reading.cpu.other} % of a core)`),
  ];
}

/** How the engines were warmed before they were measured, as part of a sentence. */
function warmUpSentence(runs: number | undefined): string {
  if (runs === undefined) return '';
  if (runs === 0) return ', without a warm-up (--warm-up-runs 0: the first phase may meet a cold engine)';
  return `, after ${runs === 1 ? 'a Sakila phase' : `${runs} Sakila phases`} run on it and not reported (its warm-up: a freshly started engine cost 3-5 times the CPU per document in its first phase)`;
}

/** The ceiling's load paced at sluice's rate: what the engine costs per document at the rate sluice fed it. */
function pacedSentence(paced: PacedLoadRun | undefined): string {
  if (paced === undefined) return '';
  return `. The same load paced at sluice's best pass (${integer(paced.pacedAt)} documents/s; ${paced.rounds === 1 ? 'once' : `${paced.rounds} times over`}): ${integer(paced.documentsPerSecond)} documents/s in ${paced.seconds.toFixed(1)} s; CPU per document: ${cpuPerItem(paced.cpu, paced.seconds, paced.documents)}; ${engineWorkLine(paced.engineWork)}`;
}

/** Why the final load of a ceiling sent its documents more times than its trials did: so that it lasts long enough. */
function sustainedNote(ceiling: BulkCeiling): string {
  const trialRounds = ceiling.trials[0]?.rounds ?? 1;
  if (ceiling.best.rounds <= trialRounds) return '';
  return ` (${ceiling.best.rounds} times over instead of ${trialRounds}, so that the load lasts at least ${MIN_CEILING_SECONDS} s: an index refreshes every second)`;
}

/** The details of one engine's section: its ceilings, then sluice's figures. */
function engineDetails(section: EngineSection, report: BenchReport): string[] {
  const { machine, settings } = report;
  const { ceilings, sluice } = section;
  const fresh = sluice.freshness;
  const version = machine.engines.find((engine) => engine.engine === section.engine)?.version ?? 'unknown';
  return [
    `### ${section.engine} ${version}`,
    '',
    '#### Ceilings',
    '',
    ceilings.zongji === undefined
      ? '- zongji: not measured'
      : `- zongji reading the backlog's binlog range, counting row events only (best of ${ceilings.zongji.runs.length}): ${ceilings.zongji.runs.map((run) => integer(run.rowsPerSecond)).join(', ')} rows/s`,
    ceilings.kafka === undefined
      ? '- kafkajs: not measured'
      : `- kafkajs producing the captured messages (same keys and Avro values, acks=all, 1,000 per request) to a fresh 3-partition topic: ${ceilings.kafka.runs.map((run) => `${run.variant}: ${integer(run.messagesPerSecond)}`).join('; ')} messages/s`,
    ...(['bulkSakila', 'bulkShop'] as const).map((key) => {
      const ceiling = ceilings[key];
      const name = key === 'bulkShop' ? 'shop documents' : 'Sakila film documents';
      if (ceiling === undefined) return `- ${section.engine} bulk, ${name}: not measured`;
      return `- ${section.engine} bulk loader (the port's bulk()), ${name} read back from sluice's index, explicit ids, fresh index with the same mappings: ${ceiling.trials
        .map((trial) => `${trial.documentsPerRequest}x${trial.concurrency}: ${integer(trial.documentsPerSecond)}`)
        .join(', ')} documents/s on ${integer(ceiling.trials[0]?.documents)} documents (documents per request x requests in flight); best of the 2 best configs on all ${integer(ceiling.best.documents)}${sustainedNote(ceiling)} (${ceiling.best.documentsPerRequest}x${ceiling.best.concurrency}): ${integer(ceiling.best.documentsPerSecond)} documents/s in ${ceiling.best.seconds.toFixed(1)} s; CPU: ${cpuLine(ceiling.best.cpu)}; CPU per document: ${cpuPerItem(ceiling.best.cpu, ceiling.best.seconds, ceiling.best.documents)}; ${engineWorkLine(ceiling.best.engineWork)}${pacedSentence(ceiling.paced)}`;
    }),
    '',
    '#### sluice',
    '',
    ...runDetails(`Sakila films (${settings.sakilaRounds} rounds of updating all ${integer(sluice.sakila?.films)} films; a page rebuilds a film once however often it changed in the page)`, sluice.sakila, machine.cores),
    ...runDetails(`shop, ${integer(settings.smallRoots)} roots (every product updated once, then the shared category renamed)`, sluice.shopSmall, machine.cores),
    ...runDetails(`shop, ${integer(settings.roots)} roots (every product updated once, then the shared category renamed)`, sluice.shopLarge, machine.cores),
    ...syncLoadDetails(sluice.syncLoad),
    fresh === undefined
      ? '- freshness: not measured (see errors)'
      : `- freshness: ${integer(fresh.changes)} single-row updates of random products at ${integer(fresh.achievedRate)}/s (target ${integer(fresh.targetRate)}/s, after ${fresh.warmUpSeconds} s at that rate not counted) through \`sluice source\` and an in-process sink (onPageAcknowledged): ` +
        `commit -> acknowledged p50 ${duration(fresh.acknowledged.p50)}, p95 ${duration(fresh.acknowledged.p95)}, p99 ${duration(fresh.acknowledged.p99)}, max ${duration(fresh.acknowledged.max)} (${fresh.unacknowledged} never acknowledged), of which commit -> captured (the event's ts_ms, set by sluice source) p50 ${duration(fresh.captured.p50)}, p99 ${duration(fresh.captured.p99)}; p50 over the first quarter of the run ${duration(fresh.acknowledgedTrend.firstQuarterP50)}, over the last ${duration(fresh.acknowledgedTrend.lastQuarterP50)}; ` +
        `commit -> searchable (${integer(fresh.searchable.count)} probes, polled every ${fresh.pollIntervalMs} ms, index refresh_interval 1 s) p50 ${duration(fresh.searchable.p50)}, p95 ${duration(fresh.searchable.p95)}, p99 ${duration(fresh.searchable.p99)}, max ${duration(fresh.searchable.max)}; ${integer(fresh.pages)} pages; CPU while writing: ${cpuLine(fresh.cpu)}`,
    ...(sluice.sourceHeapAfterFreshness === undefined
      ? []
      : [
          `- the large run's source after the freshness run too (--trace-gc): ${sluice.sourceHeapAfterFreshness.count} full GCs, live heap at most ${sluice.sourceHeapAfterFreshness.maxLiveMiB} MiB (${sluice.sourceHeapAfterFreshness.lastLiveMiB} MiB after the last), heap kept by V8 at most ${sluice.sourceHeapAfterFreshness.maxKeptMiB} MiB`,
        ]),
    '',
  ];
}

/** The whole report as markdown. */
export function reportMarkdown(report: BenchReport): string {
  const { machine, settings } = report;
  const disturbed = disturbedMeasurements(report);
  const lines = [
    `# sluice benchmark, ${report.startedAt}`,
    '',
    `Command: \`${report.command}\` (${report.totalSeconds.toFixed(0)} s in all${settings.profiled ? '; sluice processes ran under --cpu-prof, which slows them a little' : ''}).`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; sluice ${machine.sluice} (${machine.commit}); ` +
      `MariaDB ${machine.mariadb}, Kafka ${machine.kafka}, ${machine.engines.map(({ engine, version }) => `${engine} ${version}`).join(', ')}, all on this machine; ` +
      Object.entries(machine.libraries)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ') +
      `; load average ${machine.loadAverageAtStart} at the start ("other" in the CPU lines is the rest of the machine).`,
    '',
    ...(disturbed.length === 0 ? [] : [`**Warning: skewed figures: ${disturbed.join('; ')}. Run again on a quiet machine.**`, '']),
    engineComparisonMarkdown(report),
    '',
    tableMarkdown(summaryRows(report)),
    '',
    '## Details',
    '',
    `Every figure comes from this run. Rates are taken between the first and the last observed progress (polled every 100 ms), so process start-up and consumer-group joins are not counted. sluice runs as CLI processes with the defaults of the pipeline file (3 partitions, sink pageSize 1000, buildBatchSize 500, bulk 1000 documents, 2 in flight)${settings.sinkSettings === undefined ? '' : `, sink settings overridden by --sink ${JSON.stringify(settings.sinkSettings)}`}${settings.nodeOptions === undefined ? '' : ` and NODE_OPTIONS=${settings.nodeOptions}`}; the sink catches up ${settings.sinkPasses} time(s) on each backlog (a new consumer group and index each time) and the best pass is reported, as the best configuration is for the ceilings. Each engine runs every phase in turn (its own databases, topics and indexes)${warmUpSentence(settings.warmUpRuns)}: its end-to-end rates are compared with its own raw bulk ceiling, loaded through the same engine port call (bulk) as sluice's sink. CPU shares are % of one core, metered from /proc over the same interval as the rate.`,
    '',
    ...report.engines.flatMap((section) => engineDetails(section, report)),
  ];
  if (report.profiles.length > 0) {
    lines.push('### CPU profiles', '');
    for (const profile of report.profiles) lines.push(profileMarkdown(profile.summary, profile.title));
  }
  if (report.errors.length > 0) {
    lines.push('### Errors', '', ...report.errors.map((error) => `- ${error.phase}: ${error.message}`), '');
  }
  return lines.join('\n');
}

/** Writes `<timestamp>.json`, `<timestamp>.md` and `latest.md`; returns the markdown path. */
export function writeReport(report: BenchReport): string {
  mkdirSync(RESULTS_DIRECTORY, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const markdown = reportMarkdown(report);
  writeFileSync(join(RESULTS_DIRECTORY, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIRECTORY, `${stamp}.md`), markdown);
  writeFileSync(join(RESULTS_DIRECTORY, 'latest.md'), markdown);
  return join(RESULTS_DIRECTORY, `${stamp}.md`);
}
