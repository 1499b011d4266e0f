/**
 * The pipeline file of `npm run demo:mapping-change`, and the mapping edit the demo makes to it
 * while the pipeline runs. The file is written next to the stack's state (not in the repository):
 * the films document of examples/sakila/pipeline.yml, read from the demo's own database, written
 * to the stack's OpenSearch node (the mapping-change path needs Painless and _reindex).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { DocumentDefinition } from '../../src/config/document-definition.js';
import { documentTables } from './capture-demo.js';
import { SAKILA_DIRECTORY } from './load-sakila.js';

/** Where the demo's pipeline lives, and what it is called. */
export interface RemapPipelineFile {
  readonly file: string;
  /** The pipeline name: its topic prefix and consumer groups. */
  readonly pipeline: string;
  /** The films' read alias (the document's `index`). */
  readonly alias: string;
}

/** Endpoints the demo's pipeline file points at. */
export interface RemapEndpoints {
  readonly mysqlUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly opensearchNode: string;
}

/**
 * Root ids per build batch, and so per page of the full sync that fills a new index (the sync's
 * page is this, at most 1,000): small enough that the new index visibly fills page by page.
 */
export const REMAP_BUILD_BATCH = 100;

/** The mapping the demo adds to the films: the title also as a keyword (`title.raw`, for sorting and exact matches). */
export const TITLE_RAW_MAPPING = { properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } } } } as const;

/** The films document of examples/sakila/pipeline.yml, as written there. */
export function exampleFilms(): DocumentDefinition {
  const example = parse(readFileSync(join(SAKILA_DIRECTORY, 'pipeline.yml'), 'utf8')) as { documents?: { films?: DocumentDefinition } };
  const films = example.documents?.films;
  if (films === undefined) throw new Error('examples/sakila/pipeline.yml has no documents.films');
  return films;
}

/**
 * Writes the demo's pipeline file into `directory`: pipeline `name` with `-` for `_`, database
 * `name` (only the tables the films read are captured, from the current binlog position: no
 * snapshot, see the comment below), the films document with the read alias `<pipeline>-films` and
 * no explicit mapping, engine OpenSearch.
 */
export function writeRemapPipelineFile(directory: string, name: string, endpoints: RemapEndpoints): RemapPipelineFile {
  const pipeline = name.replaceAll('_', '-');
  const alias = `${pipeline}-films`;
  const films = exampleFilms();
  const tables = [...new Set(documentTables(films))].map((table) => (table.includes('.') ? table : `${name}.${table}`));
  const config = {
    pipeline,
    source: {
      mysql: {
        url: endpoints.mysqlUrl,
        databases: [name],
        include: tables,
        // `sluice sync` has just built every document from the database, which only the demo writes:
        // the capture streams from the current binlog position instead of snapshotting it again
        snapshot: { mode: 'never', pageSize: 1000 },
        positionSaveIntervalMs: 1000,
        binlogPurged: 'snapshot',
      },
    },
    kafka: { brokers: [...endpoints.kafkaBrokers], partitions: 3, replicationFactor: 1, batch: { maxDelayMs: 20 } },
    engine: 'opensearch',
    elasticsearch: { node: endpoints.opensearchNode },
    sink: { buildBatchSize: REMAP_BUILD_BATCH },
    documents: { films: { ...films, index: alias } },
  };
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${pipeline}.yml`);
  writeFileSync(file, `# written by npm run demo:mapping-change (examples/sakila/mapping-change-demo.ts)\n${stringify(config)}`);
  return { file, pipeline, alias };
}

/**
 * The edit a user would make while the pipeline runs: `documents.films.mappings` gets
 * {@link TITLE_RAW_MAPPING}. Rewrites `file` and returns the lines added, as YAML.
 */
export function addTitleRawMapping(file: string): string[] {
  const config = parse(readFileSync(file, 'utf8')) as { documents: { films: Record<string, unknown> } };
  config.documents.films.mappings = TITLE_RAW_MAPPING;
  writeFileSync(file, `# written by npm run demo:mapping-change (examples/sakila/mapping-change-demo.ts), mapping edited\n${stringify(config)}`);
  return stringify({ documents: { films: { mappings: TITLE_RAW_MAPPING } } }).trimEnd().split('\n');
}
