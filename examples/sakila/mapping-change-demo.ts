/**
 * `npm run demo:mapping-change`: a mapping change while changes stream, on the stack's OpenSearch
 * node (the mapping-change path needs Painless and _reindex, which the stack's Elasticsearch lacks).
 *
 * 1. brings up MariaDB, Kafka and OpenSearch (`npm run stack -- up`, services already running are
 *    reused) and prepares a copy of Sakila in its own database with `--films` films;
 * 2. writes the demo's pipeline file (the films document of pipeline.yml) and makes the films'
 *    channel with `sluice sync` (read alias, write alias, a timestamped backing index);
 * 3. runs the capture and the sink in this process (as `sluice source` and `sluice sink`) and
 *    starts a writer that updates films at `--rate` a second;
 * 4. after `--duration` seconds, adds a mapping to the pipeline file (`title.raw`, a keyword) and
 *    restarts the sink with it; the capture and the writer keep going. The sink sees the changed
 *    mapping, fills a new index in the background while its continuous writes go to both, and
 *    moves the aliases when the new index is complete;
 * 5. prints, every second, which index answers a search through the read alias, with how many
 *    hits, and how full the new index is; then streams `--duration` seconds more, stops the
 *    writer, and checks that the documents equal the database.
 *
 * Exits 0 when every check holds, 1 with the failed checks otherwise, 2 on a cluster that lacks
 * the modules, 130 on Ctrl-C (what it started is stopped first). `--report FILE` writes the outcome as JSON.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { createConnection, type Pool } from 'mysql2/promise';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { ConfigurationError, describeError } from '../../src/errors.js';
import { createLogger, type Logger } from '../../src/logging.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { channelNames } from '../../src/sinks/orchestrator/channel.js';
import { requireSyncModules } from '../../src/sinks/orchestrator/orchestrator.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, LOCAL_SERVICES, stackUp } from '../../stack/stack.js';
import { demoKafka, groupLag, groupMembers, sinkTopics, waitForIdleGroups } from './capture-demo.js';
import { startFilmWriter, type FilmWriter } from './film-writer.js';
import { FillWatch } from './fill-watch.js';
import { startCapture, startSink, type RunningPart } from './pipeline-parts.js';
import { prepareRemapDatabase } from './remap-database.js';
import { remapOptions, type RemapOptions } from './remap-options.js';
import { addTitleRawMapping, writeRemapPipelineFile } from './remap-pipeline-file.js';
import { remapChecks, type RemapEnd, type RemapOutcome } from './remap-verdict.js';
import { compareWithDatabase, documentDescriptor, isEqual, type EqualityReport } from './verify-documents.js';

/** The longest the demo waits for the pipeline to be in step, for the alias to move, for the documents to equal the database. */
const IN_STEP_TIMEOUT_MS = 300_000;
const MOVE_TIMEOUT_MS = 300_000;
const EQUAL_TIMEOUT_MS = 120_000;

const out = (...lines: readonly string[]): void => void process.stdout.write(lines.map((line) => `${line}\n`).join(''));
const number = (value: number): string => value.toLocaleString('en-US');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The parts running during the demo, stopped at the end whatever happened. */
interface Running {
  capture?: RunningPart<{ readonly stats: { snapshotRows: number; streamedRows: number; lastSaved: unknown } }>;
  sink?: RunningPart<{ readonly stats: { changes: number; documents: number } }>;
  writer?: FilmWriter;
  watch?: FillWatch;
}

/** Rejects on Ctrl-C: the waits end and the demo stops what it started. */
let interrupt: (error: Error) => void = () => undefined;
const interrupted = new Promise<never>((_, reject) => {
  interrupt = reject;
});
interrupted.catch(() => undefined);

/** Rejects when a running part stops or fails (the writer, the capture or the sink), or on Ctrl-C, so that waits end at once. */
function failures(running: Running): Promise<never> {
  return Promise.race([interrupted, running.capture?.stopped, running.sink?.stopped, running.writer?.failed].filter((part) => part !== undefined));
}

/** Polls `check` every `intervalMs` until it returns true; fails when a part stops, or after `timeoutMs` naming `what`. */
async function waitFor(what: string, check: () => Promise<boolean>, running: Running, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.race([check(), failures(running)])) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await Promise.race([sleep(intervalMs), failures(running)]);
  }
}

/** Removes what a previous run left of the channel (its backing indexes and template), so the run starts from the original mapping. */
async function removeChannel(engine: SearchEngine, alias: string): Promise<number> {
  const spec = { name: alias };
  const indexes = (await engine.listIndexes(channelNames.pattern(spec))).map((entry) => entry.index);
  if (await engine.indexExists(alias)) indexes.push(...Object.keys(await engine.getAlias(alias).catch(() => ({}))));
  const unique = [...new Set(indexes)];
  for (const index of unique) await engine.deleteIndex(index);
  await engine.deleteIndexTemplate(channelNames.template(spec)).catch(() => undefined);
  return unique.length;
}

/** One narrative line: the time, the writer, the read alias's answer and the new index's fill. */
function narrativeLine(startedMs: number, writer: FilmWriter, watch: FillWatch, from: number, films: number): string {
  const samples = watch.samplesSince(from);
  const last = watch.last;
  const seen = watch.observations;
  const who = (index: string | undefined): string => (index === undefined ? '?' : index === seen.oldIndex ? 'old' : index === seen.newIndex ? 'NEW' : index);
  const complete = samples.filter((sample) => sample.hits === films).length;
  const search =
    last === undefined
      ? 'no search yet'
      : typeof last.hits === 'number'
        ? `${number(last.hits)} hits from the ${who(last.answeredBy)} index, title.raw ${number(last.titleRawHits ?? 0)}`
        : `error: ${last.hits}`;
  const moved = seen.aliasMovedMs !== undefined;
  const fill = seen.newIndex === undefined ? 'no new index' : moved ? `new index ${number(last?.newDocs ?? 0)} docs (behind the alias)` : `new index ${number(last?.newDocs ?? 0)}/${number(films)}`;
  return `  ${((Date.now() - startedMs) / 1000).toFixed(1).padStart(6)} s  updates ${number(writer.updates()).padStart(5)}  search: ${search.padEnd(50)}  ${fill.padEnd(30)}  (${samples.length} searches, ${complete} complete)`;
}

/** Prints the pipeline's progress until the sink has read every change and the capture streams. */
async function waitInStep(admin: Admin, config: PipelineConfig, running: Running, startedMs: number): Promise<void> {
  const group = sinkGroupId(config.pipeline);
  const topics = sinkTopics(config);
  let printed = 0;
  let quiet = 0;
  await waitFor(
    'the pipeline to be in step',
    async () => {
      const lag = await groupLag(admin, group, topics);
      const joined = (await groupMembers(admin, group)) > 0;
      const capture = running.capture?.part.stats;
      // twice in a row: the sink has read everything the capture, which has saved a position, wrote
      quiet = joined && lag === 0 && capture?.lastSaved !== undefined ? quiet + 1 : 0;
      if (quiet >= 2 || Date.now() - printed >= 2000) {
        printed = Date.now();
        out(
          `  ${((Date.now() - startedMs) / 1000).toFixed(1).padStart(6)} s  capture: ${number(capture?.snapshotRows ?? 0)} rows snapshotted, ${number(capture?.streamedRows ?? 0)} streamed` +
            `  sink: ${number(running.sink?.part.stats.changes ?? 0)} changes read, lag ${joined ? number(lag) : '(joining the group)'}`,
        );
      }
      return quiet >= 2;
    },
    running,
    IN_STEP_TIMEOUT_MS,
    500,
  );
}

/** The events the narrative has told already. */
interface Told {
  fill: boolean;
  moved: boolean;
  deleted: boolean;
}

/** Streams for `ms` (or until `until` says so), printing a narrative line every second and each event once. */
async function narrate(ms: number, startedMs: number, running: Required<Pick<Running, 'writer' | 'watch'>> & Running, films: number, told: Told, until?: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !(until?.() ?? false)) {
    const from = running.watch.sampleCount;
    await Promise.race([sleep(1000), failures(running)]);
    const seen = running.watch.observations;
    if (seen.newIndex !== undefined && !told.fill) {
      out(`  the sink saw the changed mapping: new index ${seen.newIndex} fills in the background; the sink's writes go to both indexes, searches to the old one`);
      told.fill = true;
    }
    out(narrativeLine(startedMs, running.writer, running.watch, from, films));
    if (seen.aliasMovedMs !== undefined && !told.moved) {
      const filled = seen.fillSeenMs === undefined ? '' : ` after ${((seen.aliasMovedMs - seen.fillSeenMs) / 1000).toFixed(1)} s of filling`;
      out(`  the read alias ${running.watch.alias} moved to ${seen.newIndex ?? '?'}${filled} (one atomic alias change, with the write alias); the old index is deleted 5 s later`);
      told.moved = true;
    }
    if (seen.oldIndexDeletedMs !== undefined && !told.deleted) {
      out(`  the old index ${seen.oldIndex} was deleted`);
      told.deleted = true;
    }
  }
}

/** Waits until the documents equal the database (the sink catching up with the last updates); returns the last comparison. */
async function waitForEquality(engine: SearchEngine, pool: Pool, descriptor: DocumentDescriptor, alias: string, sample: readonly string[], running: Running): Promise<EqualityReport> {
  let last: EqualityReport | undefined;
  await waitFor(
    'the documents to equal the database',
    async () => {
      last = await compareWithDatabase(engine, pool, descriptor, alias, sample, 'rental_rate');
      return isEqual(last);
    },
    running,
    EQUAL_TIMEOUT_MS,
    1000,
  ).catch((error: unknown) => {
    if (last === undefined) throw error;
  });
  if (last === undefined) throw new Error('the documents were never compared');
  return last;
}

async function demo(options: RemapOptions): Promise<RemapOutcome> {
  const startedMs = Date.now();
  const levelGiven = (process.env.SLUICE_LOG_LEVEL ?? '') !== '';
  if (!levelGiven) process.env.SLUICE_LOG_LEVEL = 'warn';
  const context = createStackContext();
  out('sluice mapping-change demo: starting MariaDB, Kafka and OpenSearch (npm run stack -- up)');
  process.stdout.write(formatReports(await stackUp(context, LOCAL_SERVICES.filter((service) => service.name !== 'elasticsearch')), {}));
  const node = context.endpoints.opensearchNode;
  const engine = createEngine('opensearch', { engine: 'opensearch', node });
  const sql = await createConnection(mysqlConnectionOptions(context.endpoints.mysqlUrl));
  const running: Running = {};
  let pool: Pool | undefined;
  let admin: Admin | undefined;
  try {
    await requireSyncModules(engine, 'npm run demo:mapping-change');
    const prepared = await prepareRemapDatabase(sql, context.endpoints.mysqlUrl, options.name, options.films);
    out(
      '',
      `database ${options.name}: Sakila${prepared.loaded ? ' (loaded now)' : ''} with ${number(prepared.films)} films` +
        (prepared.added + prepared.removed > 0 ? ` (${number(prepared.added)} copies added, ${number(prepared.removed)} removed)` : '') +
        `: films 1,001 and up are copies of Sakila's 1,000 with their actors and categories`,
    );
    const { file, pipeline, alias } = writeRemapPipelineFile(join(tmpdir(), 'sluice-demo'), options.name, {
      mysqlUrl: context.endpoints.mysqlUrl,
      kafkaBrokers: context.endpoints.kafkaBrokers,
      opensearchNode: node,
    });
    let config = loadPipelineConfig(file);
    const kafka = demoKafka(config);
    admin = kafka.admin();
    await admin.connect();
    await waitForIdleGroups(admin, [sinkGroupId(pipeline), `${pipeline}.source-signals`], (busy) => out(`consumer group(s) ${busy.join(', ')} have members (another run, or a killed one): waiting up to 45 s for them to leave`));
    const removed = await removeChannel(engine, alias);
    out(
      `pipeline ${pipeline}: ${file}`,
      `  the films document of examples/sakila/pipeline.yml, read alias ${alias} on OpenSearch ${node}` + (removed > 0 ? ` (removed the ${removed} index(es) a previous run left)` : ''),
      '',
      `sluice sync -c ${file}   # makes the channel: a backing index behind the read alias ${alias} and the write alias ${alias}-write`,
    );
    const [synced] = await runSync({ config: file }, new AbortController().signal);
    const oldIndex = synced?.indexes.primary;
    if (oldIndex === undefined) throw new Error('the sync made no index');
    const logger: Logger = createLogger('sluice.demo');
    const kafkaLogger = levelGiven ? logger : createLogger('sluice.demo', 'error');

    out(
      '',
      `capture and sink running in this process (as sluice source and sluice sink -c ${file}, log level ${process.env.SLUICE_LOG_LEVEL});`,
      '  the capture streams from the current binlog position (snapshot.mode never): the sync has just built every document',
    );
    running.capture = await startCapture(config, logger, kafkaLogger);
    running.sink = await startSink(config, file, logger, kafkaLogger);
    await waitInStep(admin, config, running, startedMs);

    out('', `a writer updates films in ${options.name} at ${options.rate} a second (UPDATE film SET rental_rate = ... WHERE film_id = ?, one transaction each)`);
    out(`a reader searches the read alias ${alias} without pause (match_all, and exists title.raw); the old index is ${oldIndex}`);
    const writer = startFilmWriter(sql, options.name, options.films, options.rate);
    const watch = new FillWatch(engine, alias, oldIndex, options.films);
    running.writer = writer;
    running.watch = watch;
    const told: Told = { fill: false, moved: false, deleted: false };
    await narrate(options.durationSeconds * 1000, startedMs, { ...running, writer, watch }, options.films, told);

    out('', `the mapping changes: ${file} gets`, ...addTitleRawMapping(file).map((line) => `    ${line}`));
    out('and the sink restarts with it (the capture and the writer keep going)');
    const restart = Date.now();
    await running.sink.stop();
    config = loadPipelineConfig(file);
    running.sink = await startSink(config, file, logger, kafkaLogger);
    out(`  sink restarted in ${((Date.now() - restart) / 1000).toFixed(1)} s`);
    const moveDeadline = Date.now() + MOVE_TIMEOUT_MS;
    await narrate(MOVE_TIMEOUT_MS, startedMs, { ...running, writer, watch }, options.films, told, () => watch.observations.aliasMovedMs !== undefined);
    if (Date.now() > moveDeadline) out(`  the read alias did not move within ${MOVE_TIMEOUT_MS / 1000} s`);
    else {
      out(`changes keep streaming for ${options.durationSeconds} s more`);
      await narrate(options.durationSeconds * 1000, startedMs, { ...running, writer, watch }, options.films, told);
    }
    const updates = await writer.stop();
    running.writer = undefined;
    out('', `writer stopped after ${number(updates)} updates of ${number(writer.touched().size)} films; waiting for the sink to catch up, then comparing every document with the database`);
    pool = openReadPool(mysqlConnectionOptions(context.endpoints.mysqlUrl), 2);
    const descriptor = await documentDescriptor(pool, config, file, 'films');
    const touched = [...writer.touched()].sort((a, b) => a - b);
    const sample = [...new Set([touched[0], touched[Math.floor(touched.length / 2)], touched[touched.length - 1]].filter((id) => id !== undefined).map(String))];
    const equality = await waitForEquality(engine, pool, descriptor, alias, sample, running);
    out(
      `  ${options.name}.film has ${number(equality.rows)} rows; the read alias ${alias} returns ${number(equality.documents)} documents; ${number(equality.equal)} equal their build from the database now`,
      ...equality.sample.map((entry) => `  sample: film ${entry.id}: rental_rate ${JSON.stringify(entry.indexed)} in the index, ${JSON.stringify(entry.database)} in MariaDB`),
    );
    // the replaced index goes 5 s after the alias change (RETIRE_DELAY_MS): searches in flight finish first
    await waitFor('the old index to be deleted', async () => !(await engine.indexExists(oldIndex)), running, 20_000, 500).catch(() => undefined);
    const observations = await watch.stop();
    running.watch = undefined;
    const [readAlias, writeAlias, titleRaw] = await Promise.all([
      engine.getAlias(alias),
      engine.getAlias(`${alias}-write`),
      engine.search({ index: alias, query: { exists: { field: 'title.raw' } }, size: 0, track_total_hits: true }),
    ]);
    const end: RemapEnd = {
      readAlias: Object.keys(readAlias),
      writeAlias: Object.keys(writeAlias),
      oldIndexExists: await engine.indexExists(oldIndex),
      titleRawHits: titleRaw.total ?? 0,
      // counted by commit time (the narration looks once a second; a fill may be shorter)
      updatesDuringFill: observations.fillSeenMs === undefined ? 0 : writer.updatesBetween(observations.fillSeenMs, observations.aliasMovedMs ?? Number.POSITIVE_INFINITY),
      equality,
    };
    const checks = remapChecks(observations, end);
    return { ok: checks.every((check) => check.ok), checks, observations, end, updates, durationMs: Date.now() - startedMs };
  } finally {
    await running.writer?.stop().catch(() => undefined);
    await running.watch?.stop().catch(() => undefined);
    out('', 'stopping the sink and the capture (their Kafka consumers finish their current fetch, up to 5 s)');
    const stops = await Promise.allSettled([running.sink?.stop(), running.capture?.stop()]);
    for (const stop of stops) if (stop.status === 'rejected') out(`  stopping: ${describeError(stop.reason)}`);
    await admin?.disconnect().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await sql.end().catch(() => undefined);
    await engine.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  let options: RemapOptions;
  try {
    options = remapOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`sluice mapping-change demo: ${describeError(error)}\n`);
    return 2;
  }
  let interruptedByUser = false;
  process.once('SIGINT', () => {
    interruptedByUser = true;
    interrupt(new Error('interrupted (Ctrl-C)'));
  });
  const report = (outcome: unknown): void => {
    if (options.report !== undefined) writeFileSync(options.report, JSON.stringify(outcome, null, 2));
  };
  try {
    const outcome = await demo(options);
    out('', outcome.ok ? 'the mapping change, checked:' : 'the mapping change did NOT go as it should:', ...outcome.checks.map((check) => `  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`));
    out(`done in ${(outcome.durationMs / 1000).toFixed(1)} s`);
    report(outcome);
    if (!outcome.ok) process.stderr.write(`sluice mapping-change demo: failed: ${outcome.checks.filter((check) => !check.ok).map((check) => check.name).join('; ')}\n`);
    return outcome.ok ? 0 : 1;
  } catch (error) {
    report({ ok: false, error: describeError(error) });
    if (error instanceof ConfigurationError) {
      process.stderr.write(`sluice mapping-change demo: ${error.message}\n  fix: ${error.fix}\n`);
      return 2;
    }
    process.stderr.write(`sluice mapping-change demo: ${describeError(error)}\n`);
    return interruptedByUser ? 130 : 1;
  }
}

// a finished demo leaves nothing to wait for: exit even if a client library keeps a handle open
process.exit(await main());
