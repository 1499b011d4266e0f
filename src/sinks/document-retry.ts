import type { Logger } from 'pino';
import type { DocumentDescriptor } from '../descriptors/document-descriptor.js';
import { describeError } from '../errors.js';
import { retry, type RetryPolicy } from '../retry.js';

/** How the document stages retry: the policy, the pipeline file (for messages), the logger, the stop signal. */
export interface DocumentRetrySettings {
  readonly retryPolicy: RetryPolicy;
  /** The pipeline file, to say where a permanent failure comes from. */
  readonly file?: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Where a document's failure comes from, for messages: its key in the pipeline file and its root table. */
export function documentWhere(descriptor: DocumentDescriptor, file: string | undefined): string {
  return `documents.${descriptor.name}${file === undefined ? '' : ` of ${file}`} (table ${descriptor.root.table.db}.${descriptor.root.table.table})`;
}

/** Retries transient failures of `operation` (src/retry.ts); a permanent one rejects with a PermanentError naming the document. */
export function retryForDocument<T>(settings: DocumentRetrySettings, what: string, descriptor: DocumentDescriptor, operation: () => Promise<T>): Promise<T> {
  return retry(() => operation(), {
    policy: settings.retryPolicy,
    what,
    where: documentWhere(descriptor, settings.file),
    ...(settings.signal === undefined ? {} : { signal: settings.signal }),
    onRetry: (error, attempt, delayMs) => settings.logger.warn({ attempt, delayMs, error: describeError(error) }, `${what} failed; retrying`),
  });
}
