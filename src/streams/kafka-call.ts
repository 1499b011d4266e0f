import { SluiceError } from '../errors.js';

/**
 * Runs a Kafka request, turning its failure into a SluiceError "cannot <action>" (the
 * kafkajs error is the cause, `context` travels with it). Retriable when kafkajs says so.
 */
export async function kafkaCall<T>(action: string, context: Record<string, unknown>, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    // kafkajs' error classes are not named exports under ESM: read their `retriable` flag directly.
    const retriable = error instanceof Error && 'retriable' in error && error.retriable === true;
    throw new SluiceError(`cannot ${action}`, { retriable, cause: error, context });
  }
}
