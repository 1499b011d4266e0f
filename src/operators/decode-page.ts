import { concatMap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { ConsumedPage, DecodedPage } from '../sinks/sink-page.js';

/**
 * Decodes each page of a partition with `decode` (one call per page, never per message), one page
 * at a time and in order: the decoded pages come out in the order the pages came in. `decode`
 * dead-letters what can never be decoded and errors for anything else (the page then fails).
 */
export function decodePage<P extends ConsumedPage>(decode: (page: P) => ObservableInput<DecodedPage>): OperatorFunction<P, DecodedPage> {
  return concatMap((page) => decode(page));
}
