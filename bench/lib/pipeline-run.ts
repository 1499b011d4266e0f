/**
 * One throughput run of sluice on a prepared database whose backlog is already in the binlog
 * (after a seeded capture position):
 * 1. `sluice source` captures the backlog into Kafka: capture rows/s is measured from the change
 *    topics' message count;
 * 2. (optional work between, e.g. the Kafka ceiling, while nothing else runs);
 * 3. `sluice sink` catches up on it: documents/s is measured from the index's applied operations
 *    while the consumer group's committed offsets (committed only after the search
 *    engine acknowledged a page) go to the end of the backlog. With several passes, each pass is a new
 *    sink process with its own consumer group and index over the same topics (the same work
 *    again), and the best pass is reported, like the ceilings' best configuration;
 * 4. optionally a fan-out on the last pass's sink: one committed row change, timed until its
 *    page is committed;
 * 5. peak RSS (VmHWM) of the processes.
 * Every process is stopped at the end unless the source is kept for a later phase.
 */
import type { IndexWork, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import type { BenchPipeline } from './pipeline-file.js';
import { CpuMeter, MainThreadMeter, nodeOptionsEnv, servicePids, SluiceProcess, type ThreadSchedule } from './processes.js';
import { engineWorkPerDocument, followUntil, indexOperations, indexWorkOf, type EngineWorkPerDocument, type KafkaWatch } from './progress.js';
import { note, now, sleep } from './services.js';

/** What to run. */
export interface PipelineRunOptions {
  readonly label: string;
  readonly pipeline: BenchPipeline;
  /** The document (a key of pipeline.indexes) whose index is measured. */
  readonly document: string;
  /** The change topics of the backlog and how many messages they will hold. */
  readonly backlogTopics: readonly string[];
  readonly backlogMessages: number;
  /** Runs after the capture, before the sink starts. */
  readonly afterCapture?: () => Promise<void>;
  /** Sink passes over the backlog (default 1). */
  readonly sinkPasses?: number;
  /** A change committed once the (last) sink has caught up, whose documents are timed. */
  readonly fanOut?: { readonly topic: string; readonly write: () => Promise<void> };
  readonly profileDir?: string;
  /** NODE_OPTIONS for the sluice processes. */
  readonly nodeOptions?: string;
  /** Leave the source running (returned) for a later phase. */
  readonly keepSource?: boolean;
  readonly timeoutMs: number;
}

/** An interval of a process's life, in seconds after it started. */
export interface ProfileWindow {
  /** The process name (its profile folder). */
  readonly process: string;
  readonly what: string;
  readonly from: number;
  readonly to: number;
}

/** The window of `process` between two performance.now() instants. */
export function windowOf(process: SluiceProcess, what: string, fromMs: number, toMs: number): ProfileWindow {
  return { process: process.name, what, from: Math.max(0, (fromMs - process.startedAt) / 1000), to: (toMs - process.startedAt) / 1000 };
}

/** One sink pass over the backlog. */
export interface SinkPass {
  readonly pipeline: string;
  readonly changes: number;
  readonly documents: number;
  readonly seconds: number;
  readonly documentsPerSecond: number;
  /** Seconds from the sink process start to the first acknowledged document (start-up, group join). */
  readonly startupSeconds: number;
  readonly cpu: Record<string, number>;
  /** The sink's main thread over the same interval: running, waiting for a core, idle (absent without schedstat). */
  readonly mainThread?: ThreadSchedule;
  /** The engine's thread time per document on the index while the sink caught up (its index stats). */
  readonly engineWork?: EngineWorkPerDocument;
  readonly peakRss: number;
}

/** What a run measured. */
export interface PipelineRunResult {
  readonly capture: { readonly rows: number; readonly seconds: number; readonly rowsPerSecond: number; readonly cpu: Record<string, number> };
  /** The best pass. */
  readonly sink: SinkPass;
  readonly sinkPasses: readonly SinkPass[];
  readonly fanOut?: { readonly documents: number; readonly milliseconds: number; readonly documentsPerSecond: number; readonly cpu: Record<string, number> };
  /** Peak RSS of the source, and of the last pass's sink (which also ran the fan-out). */
  readonly peakRss: { readonly source: number; readonly sink: number };
  /** The last sink's RSS (MiB) once a second from its start to its stop: growth or plateau. */
  readonly sinkRssSeries: readonly number[];
  /** With --profile: the heap left after the full GCs of each process's main thread (--trace-gc). */
  readonly fullGcs?: { readonly source: FullGcSummary; readonly sink: FullGcSummary };
  /** Intervals of interest, in seconds after each process started (to cut its CPU profile). */
  readonly windows: readonly ProfileWindow[];
  /** The pipeline of the last sink pass (its index holds the documents, its group is at the end). */
  readonly lastPipeline: BenchPipeline;
  /** The running source when `keepSource` was set. */
  readonly source?: SluiceProcess;
}

type Services = Readonly<Record<string, number>>;

/** The full GCs of a process: how many, the live heap after them (largest, last) and the most heap V8 kept. */
export interface FullGcSummary {
  readonly count: number;
  readonly maxLiveMiB: number;
  readonly lastLiveMiB: number;
  readonly maxKeptMiB: number;
}

/** The full GCs of a process's main thread so far (with --trace-gc, i.e. --profile). */
export function fullGcSummary(process: SluiceProcess): FullGcSummary {
  const all = process.mainThreadFullGcs();
  return {
    count: all.length,
    maxLiveMiB: Math.round(Math.max(0, ...all.map((gc) => gc.liveMiB))),
    lastLiveMiB: Math.round(all[all.length - 1]?.liveMiB ?? 0),
    maxKeptMiB: Math.round(Math.max(0, ...all.map((gc) => gc.committedMiB))),
  };
}

/** Runs source then sink on the pipeline's backlog; see the module comment. */
export async function runPipeline(options: PipelineRunOptions, watch: KafkaWatch, engine: SearchEngine): Promise<PipelineRunResult> {
  const services: Services = { ...servicePids(), bench: process.pid };
  const spawnOptions = {
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
    ...nodeOptionsEnv(options.nodeOptions),
  };
  note(`${options.label}: sluice source captures ${options.backlogMessages.toLocaleString('en-US')} changes`);
  const source = new SluiceProcess(`${options.label}-source`, ['source', '-c', options.pipeline.file], spawnOptions);
  let sink: SluiceProcess | undefined;
  try {
    // CPU is metered from the first observed progress, like the rate (start-up is not counted)
    let captureCpu: CpuMeter | undefined;
    const captured = await followUntil(
      async () => {
        const messages = await watch.messages(options.backlogTopics);
        if (captureCpu === undefined && messages > 0) captureCpu = new CpuMeter({ source: source.pid, ...services });
        return messages;
      },
      options.backlogMessages,
      { intervalMs: 100, timeoutMs: options.timeoutMs, description: `${options.label}: the capture of the backlog`, check: () => source.assertRunning() },
    );
    const windows: ProfileWindow[] = [windowOf(source, 'capturing the backlog', captured.first.atMs - 200, captured.last.atMs)];
    const capture = { rows: captured.last.value - captured.first.value, seconds: captured.seconds, rowsPerSecond: captured.rate, cpu: captureCpu?.read() ?? {} };
    note(`${options.label}: captured at ${Math.round(capture.rowsPerSecond)} rows/s`);
    await options.afterCapture?.();

    const passes: SinkPass[] = [];
    const passCount = options.sinkPasses ?? 1;
    let pipeline = options.pipeline;
    for (let pass = 1; pass <= passCount; pass += 1) {
      if (pass > 1) {
        await sink?.stop();
        pipeline = options.pipeline.sibling(`${options.pipeline.pipeline}-p${pass}`);
      }
      const name = pass === 1 ? `${options.label}-sink` : `${options.label}-sink-p${pass}`;
      note(`${options.label}: sluice sink catches up${passCount > 1 ? ` (pass ${pass} of ${passCount})` : ''}`);
      sink = new SluiceProcess(name, ['sink', '-c', pipeline.file], spawnOptions);
      const { result, window } = await catchUp(sink, source, pipeline, options, watch, engine, services);
      passes.push(result);
      if (pass === passCount) windows.push(window);
      note(`${options.label}: ${result.documents.toLocaleString('en-US')} documents at ${Math.round(result.documentsPerSecond)} documents/s`);
    }
    if (sink === undefined) throw new Error('no sink pass ran');
    const running = sink;
    const index = pipeline.indexes[options.document] ?? '';
    const group = sinkGroupId(pipeline.pipeline);

    let fanOut: PipelineRunResult['fanOut'];
    if (options.fanOut !== undefined) {
      await sleep(1_000);
      const fanOutTopic = options.fanOut.topic;
      const before = await indexOperations(engine, index);
      const messages = await watch.messages([fanOutTopic]);
      const meter = new CpuMeter({ sink: running.pid, source: source.pid, ...services });
      await options.fanOut.write();
      const committedAt = now();
      const finished = await followUntil(() => watch.committed(group, [fanOutTopic]), messages + 1, {
        intervalMs: 25,
        timeoutMs: options.timeoutMs,
        description: `${options.label}: the fan-out to be acknowledged`,
        check: () => running.assertRunning(),
      });
      const milliseconds = finished.last.atMs - committedAt;
      const fanOutDocuments = (await indexOperations(engine, index)) - before;
      windows.push(windowOf(running, 'the fan-out', committedAt, finished.last.atMs));
      fanOut = { documents: fanOutDocuments, milliseconds, documentsPerSecond: fanOutDocuments / (milliseconds / 1000), cpu: meter.read() };
      note(`${options.label}: fan-out of ${fanOutDocuments.toLocaleString('en-US')} documents acknowledged ${Math.round(milliseconds)} ms after the commit`);
    }
    const peakRss = { source: source.peakRss(), sink: running.peakRss() };
    const sinkRssSeries = running.rssBetween(running.startedAt, now()).map((sample) => Math.round(sample.rss / 1024 / 1024));
    const fullGcs = options.profileDir === undefined ? undefined : { source: fullGcSummary(source), sink: fullGcSummary(running) };
    const code = await running.stop();
    if (code !== 0) note(`${options.label}: the sink exited with ${code}: ${running.tail(500)}`);
    if (options.keepSource !== true) await source.stop();
    const best = passes.reduce((a, b) => (b.documentsPerSecond > a.documentsPerSecond ? b : a));
    return {
      capture,
      sink: best,
      sinkPasses: passes,
      ...(fanOut === undefined ? {} : { fanOut }),
      peakRss,
      sinkRssSeries,
      ...(fullGcs === undefined ? {} : { fullGcs }),
      windows,
      lastPipeline: pipeline,
      ...(options.keepSource === true ? { source } : {}),
    };
  } catch (error) {
    await sink?.stop(5_000);
    await source.stop(5_000);
    throw error;
  }
}

/** Follows one sink process until its group has committed the whole backlog. */
async function catchUp(
  sink: SluiceProcess,
  source: SluiceProcess,
  pipeline: BenchPipeline,
  options: PipelineRunOptions,
  watch: KafkaWatch,
  engine: SearchEngine,
  services: Services,
): Promise<{ result: SinkPass; window: ProfileWindow }> {
  const index = pipeline.indexes[options.document] ?? '';
  const group = sinkGroupId(pipeline.pipeline);
  const operationsBefore = await indexOperations(engine, index);
  let meter: CpuMeter | undefined;
  let mainThreadMeter: MainThreadMeter | undefined;
  let first: { atMs: number; operations: number; work: IndexWork } | undefined;
  const done = await followUntil(
    async () => {
      // the index is asked only until the first document: its stats requests would load the engine being measured
      if (first === undefined) {
        const work = await indexWorkOf(engine, index);
        if (work.operations > operationsBefore) {
          first = { atMs: now(), operations: work.operations, work };
          meter = new CpuMeter({ sink: sink.pid, source: source.pid, ...services });
          mainThreadMeter = new MainThreadMeter(sink.pid);
        }
      }
      return watch.committed(group, options.backlogTopics);
    },
    options.backlogMessages,
    { intervalMs: 100, timeoutMs: options.timeoutMs, description: `${options.label}: the sink to commit the backlog`, check: () => sink.assertRunning() },
  );
  const cpu = meter?.read() ?? {};
  const mainThread = mainThreadMeter?.read();
  const work = await indexWorkOf(engine, index);
  const operations = work.operations;
  const start = first ?? { atMs: done.first.atMs, operations: operationsBefore };
  const engineWork = first === undefined ? undefined : engineWorkPerDocument(first.work, work);
  const seconds = (done.last.atMs - start.atMs) / 1000;
  return {
    result: {
      pipeline: pipeline.pipeline,
      changes: options.backlogMessages,
      documents: operations - operationsBefore,
      seconds,
      documentsPerSecond: (operations - start.operations) / seconds,
      startupSeconds: (start.atMs - sink.startedAt) / 1000,
      cpu,
      ...(mainThread === undefined ? {} : { mainThread }),
      ...(engineWork === undefined ? {} : { engineWork }),
      peakRss: sink.peakRss(),
    },
    window: windowOf(sink, 'catching up on the backlog', start.atMs - 300, done.last.atMs),
  };
}
