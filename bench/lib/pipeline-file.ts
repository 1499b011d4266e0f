/**
 * Pipeline files for the benchmark: one database, unique pipeline (= topic prefix and consumer
 * group) and index names, written to a temporary folder. Sink and Kafka settings are sluice's
 * defaults unless the caller overrides them, so the figures describe sluice as shipped.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DocumentBuilder, DocumentDefinition } from '../../src/config/document-definition.js';
import type { EngineKind } from '../../src/sinks/engine/search-engine.js';
import { changeTopic } from '../../src/streams/topic-names.js';
import { endpoints, engineNode } from './services.js';

/** A pipeline file written for a benchmark. */
export interface BenchPipeline {
  readonly pipeline: string;
  /** The Kafka topic prefix (the pipeline name unless it shares another pipeline's topics). */
  readonly topicPrefix: string;
  readonly database: string;
  /** The search engine the sink writes to (`engine:` of the file). */
  readonly engine: EngineKind;
  readonly file: string;
  /** The document name -> its index. */
  readonly indexes: Readonly<Record<string, string>>;
  /** The change topic of a table of the database. */
  topic(table: string): string;
  /** A pipeline named `name` on the same topics, with its own consumer group and indexes. */
  sibling(name: string): BenchPipeline;
}

/** `--sink` of `npm run bench`: sink settings every pipeline file of the run is written with (none: sluice's defaults). */
let sinkOverrides: Readonly<Record<string, unknown>> = {};

/**
 * Sets the sink settings (a mapping as in the pipeline file's `sink:` section) that every pipeline
 * file written from now on takes over its own, for A/B runs of sink settings (`--sink`).
 */
export function overrideSinkSettings(settings: Readonly<Record<string, unknown>>): void {
  sinkOverrides = settings;
}

/** `--build-in` of `npm run bench`: where every document of the run is built (none: the pipeline file's default, the sink). */
let documentBuilder: DocumentBuilder | undefined;

/** Sets `buildIn` of every document of the pipeline files written from now on (`--build-in`). */
export function overrideDocumentBuilder(builder: DocumentBuilder): void {
  documentBuilder = builder;
}

/** Partitions of every change topic (as in examples/sakila/pipeline.yml). */
export const PARTITIONS = 3;

/**
 * Writes the pipeline file of `database` with `documents` (each given the index
 * `<pipeline>-<name>`), its sink writing to `engine` (`engine:` set, and that engine's node in
 * the `elasticsearch:` section, which serves both engines). With `topicPrefix`, it reads the change topics of another pipeline: a
 * second sink with its own consumer group and indexes over the same backlog.
 */
export function writeBenchPipeline(
  pipeline: string,
  database: string,
  documents: Readonly<Record<string, Omit<DocumentDefinition, 'index'>>>,
  options: { engine: EngineKind; sink?: Record<string, unknown>; topicPrefix?: string },
): BenchPipeline {
  const indexes = Object.fromEntries(Object.keys(documents).map((name) => [name, `${pipeline}-${name}`.toLowerCase()]));
  const topicPrefix = options.topicPrefix ?? pipeline;
  const config = {
    pipeline,
    source: { mysql: { url: endpoints.mysqlUrl, databases: [database], positionSaveIntervalMs: 1000 } },
    kafka: { brokers: [...endpoints.kafkaBrokers], ...(options.topicPrefix === undefined ? {} : { topicPrefix }), partitions: PARTITIONS },
    engine: options.engine,
    elasticsearch: { node: engineNode(options.engine) },
    // the throughput phases measure streaming a backlog: no first load unless asked (sink.firstLoad)
    sink: { firstLoad: false, ...options.sink, ...sinkOverrides },
    documents: Object.fromEntries(
      Object.entries(documents).map(([name, definition]) => [name, { index: indexes[name], ...definition, ...(documentBuilder === undefined ? {} : { buildIn: documentBuilder }) }]),
    ),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-')), 'pipeline.yml');
  writeFileSync(file, stringify(config));
  return {
    pipeline,
    topicPrefix,
    database,
    engine: options.engine,
    file,
    indexes,
    topic: (table) => changeTopic(topicPrefix, database, table),
    sibling: (name) => writeBenchPipeline(name, database, documents, { ...options, topicPrefix }),
  };
}
