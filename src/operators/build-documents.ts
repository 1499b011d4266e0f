import { concat, defer, ignoreElements, mergeMap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { BuiltBatch, RootBatch } from '../sinks/sink-page.js';

/** Options of {@link buildDocuments}. */
export interface BuildDocumentsOptions {
  /** Batches built at once (each holds a read connection while it queries). */
  readonly concurrency: number;
  /**
   * Backpressure from the writer: a build starts only once this resolves (the writer's
   * `waitForCapacity`), so builds never run ahead of writes and memory stays bounded.
   */
  readonly waitForCapacity?: () => ObservableInput<unknown>;
}

/**
 * Builds the documents of each batch with `build`, at most `concurrency` batches at once; a batch
 * starts building only once the writer has capacity. Built batches come out as they are ready
 * (not in order: each carries its own ids, triggers and version).
 */
export function buildDocuments(build: (batch: RootBatch) => ObservableInput<BuiltBatch>, options: BuildDocumentsOptions): OperatorFunction<RootBatch, BuiltBatch> {
  const { waitForCapacity } = options;
  return mergeMap((batch) => {
    const built = defer(() => build(batch));
    return waitForCapacity === undefined ? built : concat(defer(waitForCapacity).pipe(ignoreElements()), built);
  }, options.concurrency);
}
