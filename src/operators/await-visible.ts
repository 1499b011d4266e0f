import { concatMap, from, map, type OperatorFunction } from 'rxjs';
import type { DecodedPage } from '../sinks/sink-page.js';

/**
 * Holds each decoded page until `visible(page)` resolves (its changes are visible to the sink's
 * reads of the database, see src/sinks/commit-visibility.ts), one page at a time and in order; a
 * rejection fails the page.
 */
export function awaitVisible(visible: (page: DecodedPage) => Promise<void>): OperatorFunction<DecodedPage, DecodedPage> {
  return concatMap((page) => from(visible(page)).pipe(map(() => page)));
}
