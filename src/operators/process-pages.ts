import { catchError, concatMap, defer, finalize, groupBy, identity, map, mergeMap, of, type Observable, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { BatchesInFlight, BuiltBatch, ConsumedPage, DecodedPage, PageResult, RootBatch, RootIds } from '../sinks/sink-page.js';
import type { DocumentWriter } from '../sinks/writer.js';
import { awaitVisible } from './await-visible.js';
import { batchRootIds } from './batch-root-ids.js';
import { buildDocuments } from './build-documents.js';
import { commitPage } from './commit-page.js';
import { decodePage } from './decode-page.js';
import { expandToRoots } from './expand-to-roots.js';
import { writeDocuments } from './write-documents.js';

/** The stages of the sink path: what {@link processPages} composes. */
export interface PageStages {
  /** Decodes a page's messages (dead-lettering undecodable ones). */
  readonly decode: (page: ConsumedPage) => ObservableInput<DecodedPage>;
  /** Resolves once a decoded page's changes are visible to the database reads of `expand` and `build` (none: no wait). */
  readonly visible?: (page: DecodedPage) => Promise<void>;
  /** Finds the root ids a decoded page's changes affect. */
  readonly expand: (page: DecodedPage) => ObservableInput<RootIds>;
  /** Builds a batch of documents into operations. */
  readonly build: (batch: RootBatch) => ObservableInput<BuiltBatch>;
  readonly writer: Pick<DocumentWriter, 'write' | 'waitForCapacity'>;
  readonly buildBatchSize: number;
  /** Batches of a page built at once. */
  readonly buildConcurrency: number;
  /** Root ids remembered per page to skip duplicates; beyond it a document may be rebuilt twice. */
  readonly maxDistinctIdsPerPage?: number;
  /** Batches between the batcher and the writer, for the reference lookups' barrier. */
  readonly inFlight?: BatchesInFlight;
  /** Called once a page's writes settled, before its offsets are committed. */
  readonly onSettled?: (page: DecodedPage, result: PageResult) => void | Promise<void>;
}

/** How a page ended: committed with its counts, or failed (not committed). */
export type PageOutcome<P> = { readonly page: P; readonly decoded: DecodedPage; readonly result: PageResult } | { readonly page: P; readonly error: unknown };

/**
 * The sink path. Per partition (pages grouped by topic and partition), one page after the other:
 * `decodePage -> awaitVisible -> expandToRoots -> batchRootIds -> buildDocuments -> writeDocuments -> commitPage`;
 * partitions run concurrently. Emits each page's outcome; a failing page emits its error (it is
 * not committed) and the stream goes on, so the consumer decides what a failure means. Every item
 * is a page or a batch of ids, documents or outcomes, never a single row.
 */
export function processPages<P extends ConsumedPage>(stages: PageStages): OperatorFunction<P, PageOutcome<P>> {
  return (pages$) =>
    pages$.pipe(
      groupBy((page) => `${page.topic}\u0000${page.partition}`),
      mergeMap((partition$) => partition$.pipe(concatMap((page) => processPage(page, stages)))),
    );
}

/** One page through the stages; never errors (a failure is its outcome). */
function processPage<P extends ConsumedPage>(page: P, stages: PageStages): Observable<PageOutcome<P>> {
  return defer(() => {
    // a failed page never writes the rest of its batches: release them, or a barrier would wait forever
    const unfinished: Array<() => void> = [];
    const track = (): (() => void) => {
      const done = stages.inFlight?.begin() ?? ((): void => undefined);
      unfinished.push(done);
      return done;
    };
    return of(page).pipe(
      decodePage(stages.decode),
      stages.visible === undefined ? identity : awaitVisible(stages.visible),
      concatMap((decoded) =>
        of(decoded).pipe(
          expandToRoots(stages.expand),
          batchRootIds({ size: stages.buildBatchSize, ...(stages.maxDistinctIdsPerPage === undefined ? {} : { maxDistinctIds: stages.maxDistinctIdsPerPage }), track }),
          buildDocuments(stages.build, { concurrency: stages.buildConcurrency, waitForCapacity: () => stages.writer.waitForCapacity() }),
          writeDocuments(stages.writer),
          commitPage(decoded, stages.onSettled),
        ),
      ),
      map(({ page: decoded, result }): PageOutcome<P> => ({ page, decoded, result })),
      catchError((error: unknown) => of<PageOutcome<P>>({ page, error })),
      finalize(() => {
        for (const done of unfinished) done();
      }),
    );
  });
}
