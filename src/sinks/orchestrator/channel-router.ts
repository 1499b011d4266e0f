import type { DocumentOperation, DocumentWriter, WriteOutcome } from '../writer.js';

/**
 * The continuous sink's writer while channels are rebuilt (a mapping change): an operation
 * addressed to a routed read alias is written to every target of the route (during the backfill
 * and until the aliases moved: the alias, that is the old index, and the new backing index; then
 * the alias alone). Other operations pass through unchanged. Routes change between writes; `flush`
 * waits for every write made so far, whatever its route.
 */
export class ChannelRouter implements DocumentWriter {
  private readonly routes = new Map<string, readonly string[]>();

  constructor(private readonly inner: DocumentWriter) {}

  /** Writes operations addressed to `alias` to each of `targets` (index or alias names) from now on. */
  route(alias: string, targets: readonly string[]): void {
    this.routes.set(alias, [...targets]);
  }

  /** Writes operations addressed to `alias` to the alias again. */
  unroute(alias: string): void {
    this.routes.delete(alias);
  }

  /** The targets of `alias` now (the alias itself when it is not routed). */
  targetsOf(alias: string): readonly string[] {
    return this.routes.get(alias) ?? [alias];
  }

  write(operation: DocumentOperation): Promise<WriteOutcome> {
    const targets = this.routes.get(operation.index);
    if (targets === undefined) {
      // unrouted (nearly every write): the inner writer's own promise, no extra one per operation;
      // what the inner writer throws rejects the promise, as from an async method
      try {
        return this.inner.write(operation);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.writeToEach(operation, targets);
  }

  private async writeToEach(operation: DocumentOperation, targets: readonly string[]): Promise<WriteOutcome> {
    // the operation object itself goes to its own name (the dead-letter trigger is looked up by identity)
    const outcomes = await Promise.all(targets.map((index) => this.inner.write(index === operation.index ? operation : { ...operation, index })));
    return combineOutcomes(outcomes);
  }

  waitForCapacity(): Promise<void> {
    return this.inner.waitForCapacity();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** One outcome for an operation written to several indexes: rejected if any was, superseded if all were, else acknowledged. */
export function combineOutcomes(outcomes: readonly WriteOutcome[]): WriteOutcome {
  const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
  if (rejected !== undefined) return rejected;
  if (outcomes.length > 0 && outcomes.every((outcome) => outcome.status === 'superseded')) return { status: 'superseded' };
  return { status: 'acknowledged' };
}
