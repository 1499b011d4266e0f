import { Observable } from 'rxjs';
import { SluiceError } from '../errors.js';
import type { CommittablePage } from './page-consumer.js';

/** A page in a page stream: `settle` tells the consumer the page is done (or failed). */
export interface PendingPage extends CommittablePage {
  /** Without an error: the page is done (committed); with one: it failed and was not committed. */
  settle(error?: unknown): void;
}

/**
 * A consumer's pages as an Observable, with backpressure: `run` (PageConsumer.run, runBackfill)
 * is started on subscription with a handler that emits each page and waits until the page is
 * settled, so a partition's next page is fetched only once the previous one is done. Completes
 * when `run` resolves, errors when it rejects.
 */
export function pageStream(run: (handle: (page: CommittablePage) => Promise<void>) => Promise<void>): Observable<PendingPage> {
  return new Observable<PendingPage>((subscriber) => {
    run(
      (page) =>
        new Promise<void>((resolve, reject) => {
          if (subscriber.closed) {
            reject(new Error('the page stream was unsubscribed'));
            return;
          }
          subscriber.next({ ...page, settle: (error?: unknown) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new SluiceError('the page failed', { cause: error }))) });
        }),
    ).then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
  });
}
