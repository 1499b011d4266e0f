import type { DocumentDefinition } from '../../src/config/document-definition.js';
import type { DocumentDescriptor } from '../../src/descriptors/document-descriptor.js';
import { loadDescriptors } from '../../src/descriptors/read-pool.js';
import type { Queryable } from '../../src/descriptors/sql.js';
import { readTableCatalog } from '../../src/sources/mysql/table-catalog.js';

/** Where test documents are compiled: the default database, and the file and pipeline their messages name. */
export interface CompileTarget {
  readonly database: string;
  /** The pipeline file named in messages (default `test.yml`). */
  readonly file?: string;
  /** The pipeline name (default `test`). */
  readonly pipeline?: string;
  /** The databases the source reads (default: `database` alone). */
  readonly databases?: readonly string[];
}

/**
 * Compiles `definitions` against the catalog read through `pool`, every table captured, as the
 * sink does at its start; with `checkQueries` the SQL of `where` conditions and computed fields
 * is also tried against the database.
 */
export function compileTestDocuments(pool: Queryable, target: CompileTarget, definitions: Readonly<Record<string, DocumentDefinition>>, options: { readonly checkQueries?: boolean } = {}): Promise<DocumentDescriptor[]> {
  return loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), definitions, {
    file: target.file ?? 'test.yml',
    pipeline: target.pipeline ?? 'test',
    defaultDatabase: target.database,
    isCaptured: () => true,
    databases: target.databases ?? [target.database],
    ...(options.checkQueries === true ? { queries: pool } : {}),
  });
}

/** The descriptor of the first of `definitions` (see {@link compileTestDocuments}); throws when none compiled. */
export async function compileTestDocument(pool: Queryable, target: CompileTarget, definitions: Readonly<Record<string, DocumentDefinition>>, options: { readonly checkQueries?: boolean } = {}): Promise<DocumentDescriptor> {
  const [descriptor] = await compileTestDocuments(pool, target, definitions, options);
  if (descriptor === undefined) throw new Error(`no document compiled from ${Object.keys(definitions).join(', ')}`);
  return descriptor;
}
