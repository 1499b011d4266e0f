/**
 * Freshness at a fixed change rate: a paced writer commits single-row updates of random products
 * (each with a unique `rev`) and records when each commit returned; an in-process DocumentPipeline
 * reports every acknowledged page through its onPageAcknowledged hook, whose change events carry
 * the row's `id` and `rev`: commit -> acknowledged is measured per change. A sample of the
 * updates are probes, polled with a search until the document shows their `rev`: commit ->
 * searchable. The capture runs as a separate `sluice source` process.
 */
import { logLevel } from 'kafkajs';
import type { Connection } from 'mysql2/promise';
import { pino } from 'pino';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import { DocumentPipeline, type AcknowledgedPage } from '../../src/pipeline/document-pipeline.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { createKafka } from '../../src/streams/kafka-client.js';
import type { BenchPipeline } from './pipeline-file.js';
import { engineNode, openSql, sleep, waitUntil } from './services.js';
import { summarize, type Percentiles } from './stats.js';

/** Settings of a freshness run. */
export interface FreshnessSettings {
  readonly changesPerSecond: number;
  readonly seconds: number;
  /** Seconds at the same rate before the measured window (not counted). */
  readonly warmUpSeconds: number;
  /** Roots the writer picks from (ids 1..roots). */
  readonly roots: number;
  /** One update in `probeEvery` is polled for searchability. */
  readonly probeEvery: number;
  /** Connections the writer spreads its updates over. */
  readonly connections: number;
}

/** What a freshness run measured. */
export interface FreshnessResult {
  readonly targetRate: number;
  readonly warmUpSeconds: number;
  readonly achievedRate: number;
  readonly changes: number;
  readonly acknowledged: Percentiles;
  /** Commit -> the capture turned the row into a change event (its `ts_ms`, set by sluice source). */
  readonly captured: Percentiles;
  /** p50 of commit -> acknowledged for the changes of the first and of the last quarter of the run (a growing queue shows here). */
  readonly acknowledgedTrend: { readonly firstQuarterP50: number | null; readonly lastQuarterP50: number | null };
  readonly searchable: Percentiles;
  readonly unacknowledged: number;
  readonly unsearchable: number;
  /** Milliseconds between searchability polls (the resolution of the searchable figures). */
  readonly pollIntervalMs: number;
  /** Documents acknowledged per page (how the sink grouped the stream). */
  readonly pages: number;
  readonly cpu?: Record<string, number>;
  /** The measured writing window, in performance.now() milliseconds. */
  readonly window: { readonly fromMs: number; readonly toMs: number };
}

const REV_BASE = 10_000_000;
const WARM_UP_BASE = REV_BASE - 1_000;
const POLL_INTERVAL_MS = 50;

/** The clock of commit and acknowledgement times: the sink's `atMs` is Date.now(). */
const wallClock = (): number => Date.now();

/**
 * Runs the in-process sink of `pipeline`, warms it up, then writes `changesPerSecond` updates per
 * second for `seconds` and measures. The sink's consumer group must already be at the end of the
 * topics (the throughput phase left it there), or it catches up first.
 */
export async function measureFreshness(
  pipeline: BenchPipeline,
  settings: FreshnessSettings,
  hooks: { onWriting?: () => () => Record<string, number>; assertSourceRunning?: () => void } = {},
): Promise<FreshnessResult> {
  const { onWriting, assertSourceRunning } = hooks;
  const commits = new Map<number, number>();
  const acknowledgedAt = new Map<number, number>();
  const capturedAt = new Map<number, number>();
  let pages = 0;
  let warmedUp = false;
  const onPageAcknowledged = (page: AcknowledgedPage): void => {
    pages += 1;
    for (const change of page.changes) {
      if (change.source.table !== 'product' || change.after === null) continue;
      const rev = Number(change.after.rev);
      if (rev >= REV_BASE && !acknowledgedAt.has(rev)) {
        acknowledgedAt.set(rev, page.atMs);
        capturedAt.set(rev, change.tsMs);
      } else if (rev >= WARM_UP_BASE && rev < REV_BASE) {
        warmedUp = true;
      }
    }
  };
  const config = loadPipelineConfig(pipeline.file);
  const logger = pino({ level: 'warn' });
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'sluice-bench-freshness', logLevel: logLevel.WARN, logger });
  const sinkClient = createEngine(pipeline.engine, { engine: pipeline.engine, node: engineNode(pipeline.engine) });
  const sink = new DocumentPipeline(kafka, sinkClient, { ...documentPipelineSettings(config, pipeline.file, logger), onPageAcknowledged });
  const controller = new AbortController();
  const running = sink.run(controller.signal);
  let failed: Error | undefined;
  running.catch((error: unknown) => (failed = error instanceof Error ? error : new Error(String(error))));
  const search = createEngine(pipeline.engine, { engine: pipeline.engine, node: engineNode(pipeline.engine) });
  const connections = await Promise.all(Array.from({ length: settings.connections }, () => openSql(pipeline.database)));
  const index = Object.values(pipeline.indexes)[0] ?? '';
  let writing = true;
  let poller: Promise<void> | undefined;
  try {
    // warm-up: updates until one comes back through the hook (the sink has joined and caught up)
    let warmRev = WARM_UP_BASE;
    await waitUntil(
      async () => {
        if (failed !== undefined) throw failed;
        assertSourceRunning?.();
        warmRev += 1;
        await connections[0]?.query(`UPDATE product SET rev = ? WHERE id = ?`, [warmRev, 1 + (warmRev % settings.roots)]);
        await sleep(500);
        return warmedUp || undefined;
      },
      { timeoutMs: 180_000, intervalMs: 0, description: 'the freshness sink to acknowledge a warm-up change' },
    );
    await sleep(2_000);
    // the rate runs for warmUpSeconds before the measured window, so the figures are those of the steady state
    const total = Math.round(settings.changesPerSecond * settings.seconds);
    const warm = Math.round(settings.changesPerSecond * settings.warmUpSeconds);
    const probes = new Map<number, { id: number; commitAt: number }>();
    const searchableAt = new Map<number, number>();
    poller = pollSearchable(search, index, probes, searchableAt, () => writing);
    const began = wallClock();
    const interval = 1000 / settings.changesPerSecond;
    const measuredFrom = began + warm * interval;
    let stopMeter: (() => Record<string, number>) | undefined;
    const meterTimer = setTimeout(() => (stopMeter = onWriting?.()), Math.max(0, measuredFrom - wallClock()));
    let next = 0;
    const worker = async (connection: Connection): Promise<void> => {
      for (;;) {
        const i = next;
        next += 1;
        if (i >= warm + total) return;
        const due = began + i * interval;
        const wait = due - wallClock();
        if (wait > 1) await sleep(wait);
        const rev = REV_BASE + i;
        const id = 1 + Math.floor(Math.random() * settings.roots);
        await connection.query('UPDATE product SET rev = ? WHERE id = ?', [rev, id]);
        const commitAt = wallClock();
        if (i < warm) continue;
        commits.set(rev, commitAt);
        if ((i - warm) % settings.probeEvery === 0) probes.set(rev, { id, commitAt });
      }
    };
    await Promise.all(connections.map((connection) => worker(connection)));
    clearTimeout(meterTimer);
    assertSourceRunning?.();
    const lastCommit = Math.max(...commits.values());
    const writtenIn = (lastCommit - measuredFrom) / 1000;
    const toPerformance = (wall: number): number => performance.now() - (wallClock() - wall);
    const window = { fromMs: toPerformance(measuredFrom), toMs: toPerformance(lastCommit) };
    const cpu = stopMeter?.();
    // let the tail drain: every change acknowledged and every probe searchable, or 60 s
    const drained = (): boolean => {
      assertSourceRunning?.();
      return [...commits.keys()].every((rev) => acknowledgedAt.has(rev)) && searchableAt.size >= probes.size;
    };
    await waitUntil(() => Promise.resolve(drained() || undefined), { timeoutMs: 60_000, intervalMs: 200, description: 'the last changes' }).catch((error: unknown) => {
      if (!String(error).includes('timed out')) throw error;
    });
    writing = false;
    await poller;
    const acknowledged = [...commits].flatMap(([rev, commitAt]) => {
      const at = acknowledgedAt.get(rev);
      return at === undefined ? [] : [Math.max(0, at - commitAt)];
    });
    const quarter = (from: number, to: number): number | null => {
      const values = [...commits].flatMap(([rev, commitAt]) => {
        const at = acknowledgedAt.get(rev);
        const position = (rev - REV_BASE - warm) / total;
        return at === undefined || position < from || position >= to ? [] : [at - commitAt];
      });
      return summarize(values).p50;
    };
    const captured = [...commits].flatMap(([rev, commitAt]) => {
      const at = capturedAt.get(rev);
      return at === undefined ? [] : [at - commitAt];
    });
    const searchable = [...probes].flatMap(([rev, probe]) => {
      const at = searchableAt.get(rev);
      return at === undefined ? [] : [Math.max(0, at - probe.commitAt)];
    });
    return {
      targetRate: settings.changesPerSecond,
      warmUpSeconds: settings.warmUpSeconds,
      achievedRate: commits.size / writtenIn,
      changes: commits.size,
      acknowledged: summarize(acknowledged),
      captured: summarize(captured),
      acknowledgedTrend: { firstQuarterP50: quarter(0, 0.25), lastQuarterP50: quarter(0.75, 1) },
      searchable: summarize(searchable),
      unacknowledged: commits.size - acknowledged.length,
      unsearchable: probes.size - searchable.length,
      pollIntervalMs: POLL_INTERVAL_MS,
      pages,
      window,
      ...(cpu === undefined ? {} : { cpu }),
    };
  } finally {
    writing = false;
    await poller;
    controller.abort();
    await running.catch(() => undefined);
    await Promise.all(connections.map((connection) => connection.end().catch(() => undefined)));
    await search.close();
    await sinkClient.close();
  }
}

/**
 * Polls the index every POLL_INTERVAL_MS for the documents of pending probes (one ids query) and
 * records when each first shows its probe's `rev` (or a later one): the time the answer came back,
 * an upper bound of when it became searchable. Never rejects.
 */
async function pollSearchable(engine: SearchEngine, index: string, probes: ReadonlyMap<number, { id: number; commitAt: number }>, searchableAt: Map<number, number>, active: () => boolean): Promise<void> {
  while (active()) {
    const pending = [...probes].filter(([rev]) => !searchableAt.has(rev)).slice(0, 2_000);
    if (pending.length > 0) {
      const ids = [...new Set(pending.map(([, probe]) => String(probe.id)))];
      // a failed poll is tried again at the next tick: it only delays the searchable times it would have seen
      const response = await engine.search<{ rev?: number }>({ index, size: ids.length, _source: ['rev'], query: { ids: { values: ids } } }).catch(() => undefined);
      const at = wallClock();
      const revs = new Map((response?.hits ?? []).map((hit) => [hit._id, Number(hit._source?.rev ?? 0)]));
      for (const [rev, probe] of pending) if ((revs.get(String(probe.id)) ?? 0) >= rev) searchableAt.set(rev, at);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
