import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentBuilder, DocumentDefinition } from '../../src/config/document-definition.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import type { Queryable } from '../../src/descriptors/sql.js';
import type { SearchEngine } from '../../src/sinks/engine/search-engine.js';
import type { Connection } from 'mysql2/promise';
import { parse, stringify } from 'yaml';
import { loadSakila, SAKILA_DIRECTORY } from '../../examples/sakila/load-sakila.js';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { readPipelineStatus } from '../../src/pipeline/pipeline-status.js';
import { sinkGroupId } from '../../src/streams/consumer-groups.js';
import { compileTestDocument } from './descriptors.js';
import { diffDocuments, expectedCustomerDocuments, expectedFilmDocuments } from './sakila-oracle.js';
import { ENGINE_NODES } from './engines.js';
import { endpoints, openMysql, type Cleanup } from './services.js';
import { uniqueName } from './names.js';
import { writePipelineFile } from './sluice-process.js';
import { waitFor } from './wait-for.js';

/** A Sakila copy in its own database, with a pipeline file whose documents write to their own indexes. */
export interface SakilaPipeline {
  readonly database: string;
  readonly pipeline: string;
  readonly file: string;
  readonly filmIndex: string;
  readonly customerIndex: string;
  readonly connection: Connection;
}

/**
 * Loads Sakila into a unique database and writes a pipeline file with the example's `documents`
 * (examples/sakila/pipeline.yml) pointed at it, at the engine of `elasticsearch` and at unique
 * indexes; `cleanup` drops the database and the indexes. `sink` overrides sink settings, and
 * `filmsBuildIn` the film document's `buildIn` (the customers' computed name keeps them in the sink).
 */
export async function prepareSakilaPipeline(cleanup: Cleanup, elasticsearch: SearchEngine, sink: Record<string, unknown> = {}, filmsBuildIn?: DocumentBuilder): Promise<SakilaPipeline> {
  const { database } = await loadSakilaDatabase(cleanup, 'sakila');
  const pipeline = database.replaceAll('_', '-');
  const filmIndex = `${pipeline}-films`;
  const customerIndex = `${pipeline}-customers`;
  cleanup.add(() => Promise.all([elasticsearch.deleteIndex(filmIndex), elasticsearch.deleteIndex(customerIndex)]));
  const films = sakilaDefinition('films');
  const customers = sakilaDefinition('customers');
  const config = {
    pipeline,
    source: { mysql: { url: endpoints.mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
    kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 3, batch: { maxDelayMs: 20 } },
    engine: elasticsearch.kind,
    elasticsearch: { node: ENGINE_NODES[elasticsearch.kind] },
    sink: { pageSize: 500, ...sink },
    documents: { films: { ...films, index: filmIndex, ...(filmsBuildIn === undefined ? {} : { buildIn: filmsBuildIn }) }, customers: { ...customers, index: customerIndex } },
  };
  const file = writePipelineFile(stringify(config));
  const connection = await openMysql(cleanup, database);
  return { database, pipeline, file, filmIndex, customerIndex, connection };
}

/** Where a Sakila document's descriptor is compiled: the database, and the pipeline file and name its messages mention. */
export type SakilaSource = Pick<SakilaPipeline, 'database' | 'pipeline' | 'file'>;

/** The example's definition of `name` (examples/sakila/pipeline.yml), as written there. */
export function sakilaDefinition(name: 'films' | 'customers'): DocumentDefinition {
  const example = parse(readFileSync(join(SAKILA_DIRECTORY, 'pipeline.yml'), 'utf8')) as { documents: Record<string, DocumentDefinition> };
  const definition = example.documents[name];
  if (definition === undefined) throw new Error(`examples/sakila/pipeline.yml lost its ${name} document`);
  return definition;
}

/** Compiles `definition` as the `films` document against the Sakila copy of `sakila` (every table captured), as the sink does. */
export function loadSakilaDescriptor(queries: Queryable, sakila: SakilaSource, definition: DocumentDefinition): Promise<DocumentDescriptor> {
  return compileTestDocument(queries, sakila, { films: definition });
}

/** Loads Sakila into a new database named after `prefix`; `cleanup` drops it. Resolves its name and an administrative connection. */
export async function loadSakilaDatabase(cleanup: Cleanup, prefix: string): Promise<{ readonly database: string; readonly admin: Connection }> {
  const database = uniqueName(prefix);
  const admin = await openMysql(cleanup);
  cleanup.add(() => admin.query(`DROP DATABASE IF EXISTS \`${database}\``));
  await loadSakila(endpoints.mysqlUrl, database);
  return { database, admin };
}

/** Every document of `index` (id -> _source), read in pages sorted by `_sluice.id`. */
export function readIndexDocuments(elasticsearch: SearchEngine, index: string): Promise<Map<string, Record<string, unknown>>> {
  return readThroughPort(elasticsearch, index);
}

/** The differences between the indexes and the documents built by direct SQL (empty when in step). */
export async function sakilaDifferences(elasticsearch: SearchEngine, sakila: SakilaPipeline): Promise<string[]> {
  const [films, customers] = await Promise.all([expectedFilmDocuments(sakila.connection, sakila.database), expectedCustomerDocuments(sakila.connection, sakila.database)]);
  const [indexedFilms, indexedCustomers] = await Promise.all([readIndexDocuments(elasticsearch, sakila.filmIndex), readIndexDocuments(elasticsearch, sakila.customerIndex)]);
  return [
    ...diffDocuments(films, indexedFilms, { limit: 10 }).map((line) => `films: ${line}`),
    ...diffDocuments(customers, indexedCustomers, { limit: 10 }).map((line) => `customers: ${line}`),
  ];
}

/**
 * Waits until the indexes equal the SQL-built documents (no missing, stale or extra document)
 * and resolves with the last (empty) difference list; times out with the remaining differences.
 */
export async function waitForSakilaInStep(elasticsearch: SearchEngine, sakila: SakilaPipeline, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      async () => {
        last = await sakilaDifferences(elasticsearch, sakila).catch((error: unknown) => [String(error)]);
        return last.length === 0;
      },
      { timeoutMs, intervalMs: 1000, description: 'the Sakila indexes to equal the database' },
    );
  } catch (error) {
    throw new Error(`${String(error)}\nremaining differences:\n${last.slice(0, 20).join('\n')}`);
  }
}

/**
 * Waits until the capture has completed its snapshot and the sink's consumer group has read every
 * change topic to its end (lag 0 on every partition): from then on, no snapshot row is left to
 * rebuild a document behind a test's back. Read the way `sluice status` reads it.
 */
export async function waitForSinkDrained(sakila: SakilaPipeline, timeoutMs: number): Promise<void> {
  const config = loadPipelineConfig(sakila.file);
  let last = 'no status read yet';
  try {
    await waitFor(
      async () => {
        const status = await readPipelineStatus(config);
        const sink = status.groups.find((group) => group.group === sinkGroupId(sakila.pipeline));
        const lag = sink?.partitions.reduce((sum, partition) => sum + partition.lag, 0);
        last = `snapshot completed: ${String(status.position?.snapshotCompleted ?? false)}, sink lag: ${String(lag)}`;
        return status.position?.snapshotCompleted === true && sink !== undefined && sink.partitions.length > 0 && lag === 0;
      },
      { timeoutMs, intervalMs: 1000, description: `the sink of ${sakila.pipeline} to read every change` },
    );
  } catch (error) {
    throw new Error(`${String(error)} (last seen: ${last})`, { cause: error });
  }
}

/** Every document of an index by id, read through the engine port (a point-in-time scan). */
async function readThroughPort(engine: SearchEngine, index: string): Promise<Map<string, Record<string, unknown>>> {
  await engine.refresh(index);
  const documents = new Map<string, Record<string, unknown>>();
  for await (const page of engine.scan<Record<string, unknown>>(index, { pageSize: 5000 })) {
    for (const hit of page) if (hit._source !== undefined) documents.set(hit._id, hit._source);
  }
  return documents;
}
