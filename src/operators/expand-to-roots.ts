import { concatMap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { DecodedPage, RootIds } from '../sinks/sink-page.js';

/**
 * Expands each decoded page into the root ids of the documents its changes affect, as `expand`
 * finds them (in chunks of ids, so ids flow to the builders while the expansion goes on). Pages
 * are expanded one at a time, in order.
 */
export function expandToRoots(expand: (page: DecodedPage) => ObservableInput<RootIds>): OperatorFunction<DecodedPage, RootIds> {
  return concatMap((page) => expand(page));
}
