import { concatMap, defer, from, map, of, reduce, type OperatorFunction } from 'rxjs';
import { addCounts, NO_WRITES, type DecodedPage, type PageResult, type WriteCounts } from '../sinks/sink-page.js';

/** A page whose writes are settled and whose offsets are committed. */
export interface CommittedPage {
  readonly page: DecodedPage;
  readonly result: PageResult;
}

/**
 * Closes a page: adds up the counts of its written batches, and once the source completes (every
 * write of the page settled) calls `onSettled` and commits the page's offsets; emits the committed
 * page once the commit resolved. A page that fails before is never committed.
 */
export function commitPage(page: DecodedPage, onSettled?: (page: DecodedPage, result: PageResult) => void | Promise<void>): OperatorFunction<WriteCounts, CommittedPage> {
  return (counts$) =>
    counts$.pipe(
      reduce(addCounts, NO_WRITES),
      map((counts): PageResult => ({ changes: page.changes.length, ...counts })),
      // a hook that returns a promise (the change log's write) is awaited before the commit; a plain one stays synchronous
      concatMap((result) =>
        defer(() => {
          const settled = onSettled?.(page, result);
          return settled instanceof Promise ? from(settled).pipe(map(() => result)) : of(result);
        }),
      ),
      concatMap((result) => defer(() => page.page.commit()).pipe(map((): CommittedPage => ({ page, result })))),
    );
}
