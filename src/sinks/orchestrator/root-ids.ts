import type { Connection, Pool } from 'mysql2/promise';
import type { DocumentDescriptor } from '../../descriptors/document-descriptor.js';
import { beginVersionedSnapshot, type SnapshotVersioning } from '../../descriptors/snapshot-version.js';
import { chunks, MAX_IN_LIST, qualifiedName, quoteIdentifier } from '../../descriptors/sql.js';

/**
 * Every root id of a document family, in pages of `pageSize` read by key (`WHERE id > last ORDER
 * BY id LIMIT n`): memory stays flat whatever the table size, and no page is skipped or repeated
 * while rows are inserted or deleted elsewhere in the table.
 */
export async function* rootIdPages(pool: Pool, descriptor: DocumentDescriptor, pageSize: number): AsyncGenerator<string[]> {
  const column = quoteIdentifier(descriptor.idColumn);
  const table = qualifiedName(descriptor.root.table);
  let last: unknown;
  for (;;) {
    const [rows] = await pool.query({
      sql: last === undefined ? `SELECT ${column} AS id FROM ${table} ORDER BY ${column} LIMIT ?` : `SELECT ${column} AS id FROM ${table} WHERE ${column} > ? ORDER BY ${column} LIMIT ?`,
      values: last === undefined ? [pageSize] : [last, pageSize],
    });
    const ids = (rows as Array<{ id: unknown }>).map((row) => row.id);
    if (ids.length === 0) return;
    last = ids[ids.length - 1];
    yield ids.map((id) => String(id));
    if (ids.length < pageSize) return;
  }
}

/** How many roots a family has (for progress; an estimate is enough). */
export async function countRoots(pool: Pool, descriptor: DocumentDescriptor): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${qualifiedName(descriptor.root.table)}`);
  return Number((rows as Array<{ n: unknown }>)[0]?.n ?? 0);
}

/** Which of `ids` have a root row now (one query per 1,000 ids). */
export async function existingRoots(pool: Pool, descriptor: DocumentDescriptor, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const column = quoteIdentifier(descriptor.idColumn);
  for (const chunk of chunks(ids, MAX_IN_LIST)) {
    const [rows] = await pool.query({ sql: `SELECT ${column} AS id FROM ${qualifiedName(descriptor.root.table)} WHERE ${column} IN (?)`, values: [chunk] });
    for (const row of rows as Array<{ id: unknown }>) found.add(String(row.id));
  }
  return found;
}

/**
 * Which of `ids` have no root row in a versioned snapshot taken on `connection` now, with that
 * snapshot's version: a delete carrying this version is exactly as safe as a build that found the
 * root missing (an older build is refused after it, a newer one wins).
 */
export async function missingRootsAt(
  connection: Connection,
  descriptor: DocumentDescriptor,
  ids: readonly string[],
  versioning?: SnapshotVersioning,
): Promise<{ readonly version: number; readonly missing: string[] }> {
  const { version } = await beginVersionedSnapshot(connection, versioning);
  try {
    const found = new Set<string>();
    const column = quoteIdentifier(descriptor.idColumn);
    for (const chunk of chunks(ids, MAX_IN_LIST)) {
      const [rows] = await connection.query({ sql: `SELECT ${column} AS id FROM ${qualifiedName(descriptor.root.table)} WHERE ${column} IN (?)`, values: [chunk] });
      for (const row of rows as Array<{ id: unknown }>) found.add(String(row.id));
    }
    return { version, missing: ids.filter((id) => !found.has(id)) };
  } finally {
    await connection.query('COMMIT');
  }
}
