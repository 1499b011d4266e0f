import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { DocumentDescriptor } from '../../../src/descriptors/document-descriptor.js';
import type { TriggerReference } from '../../../src/sinks/dead-letters.js';
import type { BuiltBatch, ConsumedPage, DecodedPage, RootBatch, RootIds } from '../../../src/sinks/sink-page.js';
import type { DocumentOperation } from '../../../src/sinks/writer.js';

/** A TestScheduler asserting with vitest. */
export function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * A promise settled in virtual time: `frames` after now on `scheduler` (inside `run`). Its `then`
 * calls back on the scheduler, so operators that take promises (a DocumentWriter's) run in
 * virtual time.
 */
export function later<T>(scheduler: TestScheduler, frames: number, value: T | Error): Promise<T> {
  const at = scheduler.now() + frames;
  const thenable = {
    then(onFulfilled?: (value: T) => unknown, onRejected?: (error: unknown) => unknown): unknown {
      scheduler.schedule(() => {
        if (value instanceof Error) onRejected?.(value);
        else onFulfilled?.(value);
      }, Math.max(0, at - scheduler.now()));
      return thenable;
    },
  };
  return thenable as unknown as Promise<T>;
}

/** A descriptor as far as the operators look at it. */
export function descriptor(name: string): DocumentDescriptor {
  return { name, index: name } as unknown as DocumentDescriptor;
}

export function trigger(offset: number): TriggerReference {
  return { topic: 'changes', partition: 0, offset: String(offset) };
}

export function rootIds(of: DocumentDescriptor, ids: string[], offset = 0): RootIds {
  return { descriptor: of, ids, triggerOf: () => trigger(offset) };
}

/** A page of `partition` whose commit() records it in `commits` (a promise settled after `commitFrames`). */
export function page(name: string, partition: number, commits: string[], commit: () => Promise<void> = () => Promise.resolve()): ConsumedPage & { name: string } {
  return {
    name,
    topic: 'changes',
    partition,
    messages: [],
    commit: () => {
      commits.push(name);
      return commit();
    },
  };
}

export function decoded(of: ConsumedPage, changes = 0): DecodedPage {
  return { page: of, changes: Array.from({ length: changes }, (_, position) => ({ event: {} as never, trigger: trigger(position) })), undecodable: 0 };
}

export function batch(of: DocumentDescriptor, ids: string[], done: () => void = () => undefined): RootBatch {
  return { descriptor: of, ids, triggers: new Map(ids.map((id) => [id, trigger(Number(id))])), done };
}

/** A built batch: an index operation per id of `indexed`, a delete per id of `deleted`. */
export function built(of: RootBatch, indexed: string[], deleted: string[] = []): BuiltBatch {
  const operations: DocumentOperation[] = [
    ...indexed.map((id): DocumentOperation => ({ kind: 'index', index: of.descriptor.index, id, document: { id }, trigger: trigger(Number(id)) })),
    ...deleted.map((id): DocumentOperation => ({ kind: 'delete', index: of.descriptor.index, id, trigger: trigger(Number(id)) })),
  ];
  return { batch: of, operations, indexed: indexed.length, where: `documents.${of.descriptor.name}` };
}
