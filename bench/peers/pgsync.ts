/**
 * PGSync (from PyPI) on the Postgres shop: the same products document as SHOP_DOCUMENTS (category
 * as an object, tags as scalars through product_tag, reviews as objects), into an OpenSearch index,
 * with Redis as its queue. `bootstrap` creates its triggers and replication slot, a one-shot
 * `pgsync` run does the initial load (and writes the checkpoint), and the daemon then streams.
 * PGSync's MySQL/MariaDB mode is not used: on MariaDB 10.11 without GTIDs it builds wrong
 * documents and never checkpoints.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PeerProcess } from './peer-process.js';

const run = promisify(execFile);

/** Where PGSync runs and what it talks to. */
export interface PgsyncSettings {
  readonly bin: string;
  readonly runDirectory: string;
  readonly database: string;
  readonly index: string;
  readonly postgres: { readonly host: string; readonly port: number; readonly user: string };
  readonly redisPort: number;
  /** The OpenSearch node, e.g. http://127.0.0.1:19201. */
  readonly searchNode: string;
}

/** The schema.json of the shop's products document. */
export function pgsyncSchema(database: string, index: string): unknown {
  return [
    {
      database,
      index,
      nodes: {
        table: 'product',
        columns: ['id', 'sku', 'name', 'description', 'price', 'stock', 'rev', 'updated_at'],
        children: [
          { table: 'category', label: 'category', columns: ['name', 'description'], relationship: { variant: 'object', type: 'one_to_one', foreign_key: { child: ['id'], parent: ['category_id'] } } },
          { table: 'tag', label: 'tags', columns: ['name'], relationship: { variant: 'scalar', type: 'one_to_many', through_tables: ['product_tag'] } },
          { table: 'review', label: 'reviews', columns: ['rating', 'title', 'body'], relationship: { variant: 'object', type: 'one_to_many', foreign_key: { child: ['product_id'], parent: ['id'] } } },
        ],
      },
    },
  ];
}

/** Its environment (PGSync is configured by variables). */
function environment(settings: PgsyncSettings): NodeJS.ProcessEnv {
  const node = new URL(settings.searchNode);
  return {
    PG_HOST: settings.postgres.host,
    PG_PORT: String(settings.postgres.port),
    PG_USER: settings.postgres.user,
    PG_PASSWORD: '',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(settings.redisPort),
    OPENSEARCH: 'true',
    ELASTICSEARCH_SCHEME: node.protocol.replace(':', ''),
    ELASTICSEARCH_HOST: node.hostname,
    ELASTICSEARCH_PORT: node.port,
    CHECKPOINT_PATH: join(settings.runDirectory, 'checkpoints'),
    CONSOLE_LOGGING_HANDLER_MIN_LEVEL: 'WARNING',
  };
}

/** Writes the schema, bootstraps and runs the initial load to completion; returns the schema file. */
export async function pgsyncInitialLoad(settings: PgsyncSettings, timeoutMs: number): Promise<string> {
  mkdirSync(join(settings.runDirectory, 'checkpoints'), { recursive: true });
  const schema = join(settings.runDirectory, 'schema.json');
  writeFileSync(schema, JSON.stringify(pgsyncSchema(settings.database, settings.index), null, 2));
  const options = { cwd: settings.runDirectory, env: { ...process.env, ...environment(settings) }, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs };
  try {
    await run(join(settings.bin, 'bootstrap'), ['--config', schema], options);
    await run(join(settings.bin, 'pgsync'), ['--config', schema], options);
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`PGSync's bootstrap or initial load failed: ${`${stderr ?? ''}${stdout ?? ''}`.slice(-1500)}`, { cause: error });
  }
  return schema;
}

/** Starts the PGSync daemon (streaming from the checkpoint of the initial load). */
export function startPgsyncDaemon(settings: PgsyncSettings, schema: string): PeerProcess {
  return new PeerProcess('PGSync', join(settings.bin, 'pgsync'), ['--config', schema, '--daemon'], { cwd: settings.runDirectory, env: environment(settings) });
}
