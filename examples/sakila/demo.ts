/**
 * `npm run demo`: brings the local stack up (or uses the services named by SLUICE_*), loads the
 * Sakila sample database into MariaDB when it is not there yet, then runs the pipeline of
 * examples/sakila/pipeline.yml in this process (capture + document sink, as `sluice run`) until
 * the films and customers indexes hold a document per row, prints a full-text search over the
 * films, makes a live change in MariaDB, shows it arrive in the documents and restores it, and
 * stops. Re-runnable: the next run resumes the capture and the sink where this one stopped.
 */
import type { Admin } from 'kafkajs';
import { createConnection, type Connection } from 'mysql2/promise';
import { fileURLToPath } from 'node:url';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import type { PipelineConfig } from '../../src/config/pipeline-config.js';
import { describeError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import { createEngine } from '../../src/sinks/engine/create-engine.js';
import type { EngineKind, SearchEngine } from '../../src/sinks/engine/search-engine.js';
import { demoEngine } from './demo-engine.js';
import { mysqlConnectionOptions, redactUrl } from '../../src/sources/mysql/connection-options.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { requestSnapshot } from '../../src/streams/snapshot-signals.js';
import { formatReports } from '../../stack/report.js';
import { createStackContext, stackUp } from '../../stack/stack.js';
import { demoKafka, groupLag, groupMembers, qualifiedTable, sinkTopics, sinkWouldSkip, startPipeline, tableTopic, topicCounts, waitForIdleGroups, type RunningPipeline } from './capture-demo.js';
import { loadSakila, SAKILA_DATABASE, sakilaCounts } from './load-sakila.js';
import { changedFields, countTerm, documentCount, filmQuery, formatFilmHits, getFilm, searchFilms, shortFilm } from './search-demo.js';

/** What the demo searches the films for. */
const SEARCH = 'dinosaur';
/** Appended by the live change to a film title and to a category name (and removed again). */
const EDIT_MARK = ' (live edit)';
/** The longest the demo waits for the pipeline, for the documents to be complete or a change to arrive. */
const IN_STEP_TIMEOUT_MS = 300_000;
const CHANGE_TIMEOUT_MS = 60_000;

const out = (lines: readonly string[]): void => void process.stdout.write(lines.map((line) => `${line}\n`).join(''));
const seconds = (fromMs: number): string => `${((Date.now() - fromMs) / 1000).toFixed(1)} s`;
const number = (value: number): string => value.toLocaleString('en-US');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A document of the pipeline file, with its row count in MariaDB and its document count in Elasticsearch. */
interface DemoDocument {
  readonly name: string;
  readonly index: string;
  /** `db.table` of the root table. */
  readonly table: string;
  readonly topic: string;
  readonly rows: number;
}

/**
 * Polls `check` every `intervalMs` until it returns true; fails when the pipeline stops first or
 * after `timeoutMs` (the error says what was awaited).
 */
async function waitFor(what: string, check: () => Promise<boolean>, pipeline: RunningPipeline, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.race([check(), pipeline.stopped])) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await Promise.race([sleep(intervalMs), pipeline.stopped]);
  }
}

/** Fixes what an interrupted demo may have left: a film title or category name still carrying the edit mark. */
async function undoLeftovers(sql: Connection): Promise<void> {
  const length = EDIT_MARK.length;
  const [films] = await sql.query(`UPDATE ${SAKILA_DATABASE}.film SET title = LEFT(title, CHAR_LENGTH(title) - ?), last_update = last_update WHERE title LIKE ?`, [length, `%${EDIT_MARK.toUpperCase()}`]);
  const [categories] = await sql.query(`UPDATE ${SAKILA_DATABASE}.category SET name = LEFT(name, CHAR_LENGTH(name) - ?), last_update = last_update WHERE name LIKE ?`, [length, `%${EDIT_MARK}`]);
  const fixed = (films as { affectedRows: number }).affectedRows + (categories as { affectedRows: number }).affectedRows;
  if (fixed > 0) out([`sluice demo: restored ${fixed} row(s) an interrupted demo had left edited`]);
}

/** Prints progress until every document index holds one document per row and the sink has read every change. */
async function waitInStep(pipeline: RunningPipeline, admin: Admin, elasticsearch: SearchEngine, config: PipelineConfig, documents: readonly DemoDocument[]): Promise<void> {
  const started = Date.now();
  const groupId = sinkGroupId(config.pipeline);
  const topics = sinkTopics(config);
  let printed = 0;
  await waitFor(
    'the documents to be complete',
    async () => {
      const counts = await Promise.all(documents.map((document) => documentCount(elasticsearch, document.index)));
      const lag = await groupLag(admin, groupId, topics);
      const joined = (await groupMembers(admin, groupId)) > 0;
      const done = joined && lag === 0 && documents.every((document, i) => counts[i] === document.rows);
      if (done || Date.now() - printed >= 2_000) {
        printed = Date.now();
        const { capture, sink } = pipeline;
        out([
          `  ${seconds(started).padStart(6)}  capture: ${number(capture.stats.snapshotRows)} rows snapshotted, ${number(capture.stats.streamedRows)} streamed` +
            `  sink: ${number(sink.stats.changes)} changes read, lag ${joined ? number(lag) : '(joining the group)'}` +
            `  ${documents.map((document, i) => `${document.index} ${number(counts[i] ?? 0)}/${number(document.rows)}`).join('  ')}`,
        ]);
      }
      return done;
    },
    pipeline,
    IN_STEP_TIMEOUT_MS,
    500,
  );
  const { sink } = pipeline;
  out([
    `documents complete after ${seconds(started)}: one per row, and the sink has read every change` +
      (sink.stats.changes === 0
        ? ' (there was nothing new)'
        : ` (${number(sink.stats.changes)} this run, ${number(sink.stats.documents)} document writes: a change to a related row rewrites the documents embedding it)`),
  ]);
}

/** The film, its first category and that category's film count, as they are in MariaDB now. */
async function readLiveRows(sql: Connection, filmId: number): Promise<{ title: string; filmUpdated: string; categoryId: number; category: string; categoryUpdated: string; categoryFilms: number }> {
  const [rows] = await sql.query(
    `SELECT f.title, CAST(f.last_update AS CHAR) AS filmUpdated, c.category_id AS categoryId, c.name AS category, CAST(c.last_update AS CHAR) AS categoryUpdated,
            (SELECT COUNT(*) FROM ${SAKILA_DATABASE}.film_category fc2 WHERE fc2.category_id = c.category_id) AS categoryFilms
       FROM ${SAKILA_DATABASE}.film f
       JOIN ${SAKILA_DATABASE}.film_category fc ON fc.film_id = f.film_id
       JOIN ${SAKILA_DATABASE}.category c ON c.category_id = fc.category_id
      WHERE f.film_id = ? ORDER BY c.category_id LIMIT 1`,
    [filmId],
  );
  const row = (rows as Array<{ title: string; filmUpdated: string; categoryId: number; category: string; categoryUpdated: string; categoryFilms: number | string }>)[0];
  if (row === undefined) throw new Error(`film ${filmId} has no category in ${SAKILA_DATABASE}`);
  return { ...row, categoryFilms: Number(row.categoryFilms) };
}

/**
 * One transaction renaming a film and its category; waits until the film's document and every film
 * document of the category show it; prints the document before and after; then restores both rows
 * (with their original last_update) and waits until the documents show the restore.
 */
async function liveChange(pipeline: RunningPipeline, sql: Connection, elasticsearch: SearchEngine, index: string, filmId: number): Promise<void> {
  const original = await readLiveRows(sql, filmId);
  const id = String(filmId);
  const shows = async (title: string, category: string, other: string): Promise<boolean> => {
    const film = await getFilm(elasticsearch, index, id);
    if (film?.title !== title || !film.categories.includes(category)) return false;
    const [withCategory, withOther] = await Promise.all([countTerm(elasticsearch, index, 'categories.keyword', category), countTerm(elasticsearch, index, 'categories.keyword', other)]);
    return withCategory === original.categoryFilms && withOther === 0;
  };
  const title = `${original.title}${EDIT_MARK.toUpperCase()}`;
  const category = `${original.category}${EDIT_MARK}`;
  await waitFor(`document ${id} to match the database`, () => shows(original.title, original.category, category), pipeline, CHANGE_TIMEOUT_MS);
  const before = await getFilm(elasticsearch, index, id);
  const film = `${SAKILA_DATABASE}.film`;
  const categoryTable = `${SAKILA_DATABASE}.category`;
  out([
    '',
    `a live change in MariaDB, one transaction (film ${id} and its category, which ${original.categoryFilms} films have):`,
    `  UPDATE ${film} SET title = '${title}' WHERE film_id = ${id};`,
    `  UPDATE ${categoryTable} SET name = '${category}' WHERE category_id = ${original.categoryId};`,
  ]);
  let committed = Date.now();
  try {
    await sql.beginTransaction();
    await sql.query(`UPDATE ${film} SET title = ? WHERE film_id = ?`, [title, filmId]);
    await sql.query(`UPDATE ${categoryTable} SET name = ? WHERE category_id = ?`, [category, original.categoryId]);
    await sql.commit();
    committed = Date.now();
    await waitFor(`document ${id} to show the change`, async () => (await getFilm(elasticsearch, index, id))?.title === title, pipeline, CHANGE_TIMEOUT_MS, 50);
    const filmShown = seconds(committed);
    await waitFor(`the ${original.categoryFilms} films of category ${original.categoryId} to show the change`, () => shows(title, category, original.category), pipeline, CHANGE_TIMEOUT_MS, 100);
    const after = await getFilm(elasticsearch, index, id);
    out([
      `in Elasticsearch ${filmShown} after the commit (document ${id}), ${seconds(committed)} for all ${original.categoryFilms} documents of the category`,
      '',
      `${index}/_doc/${id} before:`,
      ...JSON.stringify(before === undefined ? null : shortFilm(before), null, 2).split('\n').map((line) => `  ${line}`),
      'after (the fields that changed):',
      ...(before === undefined || after === undefined ? ['  (document missing)'] : changedFields(before, after).map((line) => `  ${line}`)),
    ]);
  } finally {
    // restore the rows even when the wait failed, so that the next run starts from the same data
    await sql.rollback().catch(() => undefined);
    await sql.beginTransaction();
    await sql.query(`UPDATE ${film} SET title = ?, last_update = ? WHERE film_id = ?`, [original.title, original.filmUpdated, filmId]);
    await sql.query(`UPDATE ${categoryTable} SET name = ?, last_update = ? WHERE category_id = ?`, [original.category, original.categoryUpdated, original.categoryId]);
    await sql.commit();
  }
  const restored = Date.now();
  await waitFor('the documents to show the restored rows', () => shows(original.title, original.category, category), pipeline, CHANGE_TIMEOUT_MS, 100);
  const again = await getFilm(elasticsearch, index, id);
  const same = before !== undefined && again !== undefined && changedFields(before, again).length === 0;
  out([`restored both rows (with their original last_update): the ${original.categoryFilms} documents were back ${seconds(restored)} later${same ? `, document ${id} equal to before` : ''}`]);
}

/** Where the demo's data lives, and commands to try. */
async function showWhere(admin: Admin, elasticsearch: SearchEngine, config: PipelineConfig, documents: readonly DemoDocument[], node: string): Promise<void> {
  const prefix = config.kafka.topicPrefix ?? config.pipeline;
  const groupId = sinkGroupId(config.pipeline);
  const topics = await topicCounts(admin, prefix);
  const counts = await Promise.all(documents.map((document) => documentCount(elasticsearch, document.index)));
  // the sink commits a page's offsets just after its documents are written: give it a moment
  let lag = await groupLag(admin, groupId, sinkTopics(config));
  for (const deadline = Date.now() + 3_000; lag > 0 && Date.now() < deadline; lag = await groupLag(admin, groupId, sinkTopics(config))) await sleep(200);
  const width = Math.max(...topics.map(([topic]) => topic.length));
  const columns = topics.map(([topic, count]) => `${topic.padEnd(width)} ${number(count).padStart(6)}`);
  const half = Math.ceil(columns.length / 2);
  const search = JSON.stringify({ query: filmQuery('astronaut drama'), _source: ['title', 'categories', 'rental_rate'], size: 3 });
  const mysql = mysqlConnectionOptions(config.source.mysql.url);
  out([
    '',
    'where the data is:',
    `  MariaDB        ${redactUrl(config.source.mysql.url)}, database ${SAKILA_DATABASE}`,
    `  Kafka          ${config.kafka.brokers.join(',')}: ${topics.length} change topics (messages retained), one per table:`,
    ...columns.slice(0, half).map((left, i) => `                   ${left}    ${columns[half + i] ?? ''}`.trimEnd()),
    `                 ${prefix}.__schemas, ${prefix}.__positions (the capture's binlog position), ${prefix}.__signals, ${prefix}.__dead_letters`,
    `                 consumer group ${groupId}: the sink's committed offsets (lag ${number(lag)})`,
    `  ${ENGINE_NAMES[elasticsearch.kind].padEnd(13)}  ${node}: ${documents.map((document, i) => `${document.index} (${number(counts[i] ?? 0)} ${document.name})`).join(', ')}`,
    '',
    'try it:',
    `  ${elasticsearch.kind === 'opensearch' ? `SLUICE_ES_NODE=${node} ` : ''}npm run sluice -- run -c examples/sakila/pipeline.yml     # the same pipeline, until Ctrl-C (engine: auto)`,
    `  curl -s '${node}/${documents[0]?.index ?? 'sakila-films'}/_search?pretty' -H 'Content-Type: application/json' -d '${search}'`,
    `  curl -s '${node}/${documents[1]?.index ?? 'sakila-customers'}/_doc/1?pretty'`,
    `  mariadb -h ${mysql.host ?? '127.0.0.1'} -P ${mysql.port ?? 3306} -u ${mysql.user ?? 'root'} -p ${SAKILA_DATABASE}   # change rows while sluice runs, then search again`,
    `  npm run sluice -- replay -c examples/sakila/pipeline.yml --to-beginning --dry-run   # the sink's offsets`,
    'stop the services with: npm run stack -- down',
  ]);
}

const ENGINE_NAMES: Record<EngineKind, string> = { elasticsearch: 'Elasticsearch', opensearch: 'OpenSearch' };

async function demo(): Promise<void> {
  const engine = demoEngine(process.argv.slice(2), process.env);
  const demoStarted = Date.now();
  // quiet by default: sluice's warnings and errors only, and kafkajs' lines about broker conditions
  // it retries (a leader still being elected on new topics) only when SLUICE_LOG_LEVEL asks for them
  const levelGiven = (process.env.SLUICE_LOG_LEVEL ?? '') !== '';
  if (!levelGiven) process.env.SLUICE_LOG_LEVEL = 'warn';
  const context = createStackContext();
  out(['sluice demo: starting the local stack']);
  process.stdout.write(formatReports(await stackUp(context), {}));

  const sql = await createConnection(mysqlConnectionOptions(context.endpoints.mysqlUrl));
  try {
    let counts = await sakilaCounts(sql);
    if (counts?.film !== 1000) {
      out(['sluice demo: loading the Sakila sample database']);
      const started = Date.now();
      await loadSakila(context.endpoints.mysqlUrl);
      counts = await sakilaCounts(sql);
      out([`sluice demo: Sakila loaded in ${seconds(started)}`]);
    } else {
      out(['sluice demo: Sakila is already loaded']);
    }
    await undoLeftovers(sql);
    const [position] = await sql.query('SELECT @@gtid_binlog_pos AS gtid');
    out([
      '',
      'sakila now holds:',
      ...Object.entries(counts ?? {}).map(([table, count]) => `  ${table.padEnd(12)}${String(count).padStart(7)} rows`),
      `binlog position (GTID): ${(position as Array<{ gtid: string }>)[0]?.gtid ?? 'unknown'}`,
    ]);

    const file = fileURLToPath(new URL('pipeline.yml', import.meta.url));
    const loaded = loadPipelineConfig(file);
    // the same pipeline (topics, consumer group), its documents written to the chosen engine
    const node = engine === 'opensearch' ? context.endpoints.opensearchNode : (loaded.elasticsearch?.node ?? context.endpoints.elasticsearchNode);
    const config: PipelineConfig = { ...loaded, engine, elasticsearch: { tlsVerify: true, ...loaded.elasticsearch, node } };
    const elasticsearch = createEngine(engine, { engine, node });
    const kafka = demoKafka(config);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groupId = sinkGroupId(config.pipeline);
      await waitForIdleGroups(admin, [groupId, `${config.pipeline}.source-signals`], (busy) => out([`sluice demo: consumer group(s) ${busy.join(', ')} have members (another sluice run, or a killed one): waiting up to 45 s for them to leave`]));
      // The sink resumes from the committed offsets of its consumer group: a document index that
      // lacks documents (deleted, say) while the group has already read the root table's topic is
      // rebuilt by an incremental snapshot of that table, whose rows the sink turns into documents.
      const documents: DemoDocument[] = [];
      const rebuild: string[] = [];
      out(['', `sluice demo: running ${config.pipeline} (examples/sakila/pipeline.yml) in this process: capture + document sink into ${ENGINE_NAMES[engine]} at ${node}, as \`sluice run\` (log level ${process.env.SLUICE_LOG_LEVEL})`]);
      for (const [name, definition] of Object.entries(config.documents)) {
        const table = qualifiedTable(config, definition.table);
        const [rows] = await sql.query(`SELECT COUNT(*) AS n FROM ${table}`);
        const document: DemoDocument = { name, index: definition.index ?? `${config.pipeline}-${name}`, table, topic: tableTopic(config, definition.table), rows: Number((rows as Array<{ n: number }>)[0]?.n ?? 0) };
        documents.push(document);
        const indexed = await documentCount(elasticsearch, document.index);
        const skip = (indexed ?? 0) < document.rows && (await sinkWouldSkip(admin, groupId, document.topic));
        if (skip) rebuild.push(table);
        out([
          `  ${name}: a document per row of ${table} (${number(document.rows)} rows), index ${document.index}: ` +
            (indexed === undefined ? 'absent (the sink creates it)' : `${number(indexed)} documents`),
          ...(skip ? [`    the sink's group ${groupId} has already read ${document.topic}: an incremental snapshot of ${table} rebuilds the documents`] : []),
        ]);
      }
      const logger = createLogger('sluice.demo');
      const pipeline = await startPipeline(config, file, logger, levelGiven ? logger : createLogger('sluice.demo', 'error'));
      const interrupt = (): void => {
        out(['sluice demo: interrupted, stopping']);
        process.exitCode = 130;
        void pipeline.stop().catch(() => undefined);
      };
      process.once('SIGINT', interrupt);
      try {
        if (rebuild.length > 0) await requestSnapshot(kafka, config.kafka.topicPrefix ?? config.pipeline, rebuild, config.kafka.replicationFactor);
        await waitInStep(pipeline, admin, elasticsearch, config, documents);

        const films = documents.find((document) => document.name === 'films') ?? documents[0];
        if (films === undefined) throw new Error('pipeline.yml defines no document');
        const { total, hits } = await searchFilms(elasticsearch, films.index, SEARCH, 5);
        out(['', `full-text search in ${films.index}: multi_match "${SEARCH}" on title^3 and description: ${number(total)} hits, the best ${hits.length}:`, ...formatFilmHits(hits).map((line) => `  ${line}`)]);
        const first = hits[0];
        if (first !== undefined) await liveChange(pipeline, sql, elasticsearch, films.index, first.film.film_id);

        await showWhere(admin, elasticsearch, config, documents, node);
      } finally {
        out(['', 'sluice demo: stopping the pipeline (its Kafka consumers finish their current fetch, up to 5 s)']);
        const stopping = Date.now();
        await pipeline.stop();
        process.off('SIGINT', interrupt);
        out([`sluice demo: pipeline stopped in ${seconds(stopping)} (sink offsets committed, capture position saved); done in ${seconds(demoStarted)}`]);
      }
    } finally {
      await admin.disconnect();
      await elasticsearch.close();
    }
  } finally {
    await sql.end();
  }
}

demo().catch((error: unknown) => {
  if (process.exitCode === 130) return; // interrupted: the waits failed because the pipeline was stopped
  process.stderr.write(`sluice demo: ${describeError(error)}\n`);
  process.exitCode = 1;
});
