import type { Pool } from 'mysql2/promise';
import { buildDocuments, type BuiltDocuments } from '../descriptors/build-documents.js';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import type { SnapshotVersioning } from '../descriptors/snapshot-version.js';
import { documentWhere, retryForDocument, type DocumentRetrySettings } from './document-retry.js';
import type { BuiltBatch, RootBatch } from './sink-page.js';
import type { DocumentOperation } from './writer.js';

/** What {@link buildBatch} works with. */
export interface BuildBatchSettings extends DocumentRetrySettings {
  /** Read connections (REPEATABLE READ snapshots, exact values). */
  readonly pool: Pool;
  /** Versions that survive a binlog reset (the VersionClock); without it, the bare coordinate. */
  readonly versioning?: SnapshotVersioning;
}

/**
 * Builds a batch of documents from one consistent snapshot (retrying transient failures) into
 * operations carrying the snapshot's version and each document's trigger: an index operation per
 * document found, a delete per root that no longer exists.
 */
export async function buildBatch(batch: RootBatch, settings: BuildBatchSettings): Promise<BuiltBatch> {
  const { descriptor } = batch;
  const built = await retryForDocument(settings, `building ${descriptor.name} documents`, descriptor, () => buildOnConnection(settings, descriptor, batch.ids));
  const { index } = descriptor;
  const { version } = built;
  // the JSON alone, as the bytes the build wrote: the object tree is garbage once built, not kept while the operation is buffered
  const operations: DocumentOperation[] = built.documents.map((document) => {
    const trigger = batch.triggers.get(document.id);
    const { body: json, jsonBytes } = document;
    return trigger === undefined ? { kind: 'index', index, id: document.id, json, jsonBytes, version } : { kind: 'index', index, id: document.id, json, jsonBytes, version, trigger };
  });
  for (const id of built.missing) {
    const trigger = batch.triggers.get(id);
    operations.push(trigger === undefined ? { kind: 'delete', index, id, version } : { kind: 'delete', index, id, version, trigger });
  }
  return { batch, operations, indexed: built.documents.length, where: documentWhere(descriptor, settings.file) };
}

async function buildOnConnection(settings: BuildBatchSettings, descriptor: DocumentDescriptor, ids: readonly string[]): Promise<BuiltDocuments> {
  const connection = await settings.pool.getConnection();
  let healthy = false;
  try {
    const built = await buildDocuments(connection, descriptor, ids, settings.versioning);
    healthy = true;
    return built;
  } finally {
    // a failed build may leave its transaction open or its connection broken: never reuse it
    if (healthy) connection.release();
    else connection.destroy();
  }
}
