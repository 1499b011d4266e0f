import { createPool, type ConnectionOptions, type Pool } from 'mysql2/promise';
import type { TableInfo } from '../model/table.js';
import { compileDocuments, type CompileContext } from './compile-document.js';
import type { DocumentDefinition } from '../config/document-definition.js';
import type { DocumentDescriptor } from './document-descriptor.js';
import { checkDocumentQueries } from './check-queries.js';
import type { Queryable } from './sql.js';

/**
 * A pool of read connections for expansion and building: values come back in the form change
 * events carry them (exact strings for BIGINT, DECIMAL, temporal types and JSON), every session
 * in UTC. Each session estimates an `IN` list's rows by reading the index for every value
 * (`eq_range_index_dive_limit = 0`): past 200 values the server would guess from the table's
 * statistics, which a bulk load can leave wrong for a while, and it then read whole tables for
 * lists of a few hundred keys.
 */
export function openReadPool(options: ConnectionOptions, connectionLimit: number): Pool {
  const pool = createPool({
    ...options,
    connectionLimit,
    dateStrings: true,
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
  });
  pool.pool.on('connection', (connection) => {
    connection.query("SET SESSION time_zone = '+00:00', eq_range_index_dive_limit = 0");
  });
  return pool;
}

/** Reads the tables of `databases` (the source's catalog, keyed `db.table`). */
export type CatalogReader = (databases: readonly string[]) => Promise<ReadonlyMap<string, TableInfo>>;

/**
 * Reads the catalog of the databases the definitions use (through the source's `readCatalog`)
 * and compiles every definition against it (see compileDocument): a wrong name fails here,
 * before anything runs. With `context.queries`, the SQL of `where` conditions and computed fields
 * is also tried against the database (see checkDocumentQueries).
 */
export async function loadDescriptors(
  readCatalog: CatalogReader,
  definitions: Readonly<Record<string, DocumentDefinition>>,
  context: Omit<CompileContext, 'catalog'> & { readonly databases: readonly string[]; readonly queries?: Queryable | undefined },
): Promise<DocumentDescriptor[]> {
  const databases = new Set(context.databases);
  const collect = (table: string): void => {
    const dot = table.indexOf('.');
    if (dot > 0) databases.add(table.slice(0, dot));
  };
  const visit = (relations: DocumentDefinition['relations']): void => {
    for (const relation of Object.values(relations ?? {})) {
      collect(relation.table);
      if (relation.through !== undefined) collect(relation.through.table);
      visit(relation.relations);
    }
  };
  for (const definition of Object.values(definitions)) {
    collect(definition.table);
    visit(definition.relations);
  }
  const catalog = await readCatalog([...databases]);
  const descriptors = compileDocuments(definitions, { ...context, catalog });
  if (context.queries !== undefined) await checkDocumentQueries(context.queries, descriptors, context.file);
  return descriptors;
}
