import { describe, expect, it } from 'vitest';
import { ChannelRouter, combineOutcomes } from '../../../../src/sinks/orchestrator/channel-router.js';
import type { DocumentOperation, DocumentWriter, WriteOutcome } from '../../../../src/sinks/writer.js';

/** Records every operation and answers by index name. */
function recordingWriter(answer: (operation: DocumentOperation) => WriteOutcome = () => ({ status: 'acknowledged' })): DocumentWriter & { written: DocumentOperation[]; flushes: number } {
  const writer = {
    written: [] as DocumentOperation[],
    flushes: 0,
    write: (operation: DocumentOperation) => {
      writer.written.push(operation);
      return Promise.resolve(answer(operation));
    },
    waitForCapacity: () => Promise.resolve(),
    flush: () => {
      writer.flushes += 1;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return writer;
}

describe('the channel router (a mapping change while the continuous sink runs)', () => {
  it('passes operations through until a route is set, then writes each to every target, then to the alias again', async () => {
    const inner = recordingWriter();
    const router = new ChannelRouter(inner);
    const operation: DocumentOperation = { kind: 'delete', index: 'films', id: '7', version: 42 };
    await router.write(operation);
    router.route('films', ['films', 'films__new']);
    await router.write(operation);
    await router.write({ kind: 'delete', index: 'customers', id: '1', version: 42 });
    router.route('films', ['films__new']);
    await router.write(operation);
    router.unroute('films');
    await router.write(operation);
    expect(inner.written.map((written) => `${written.index}/${written.id}@${written.version ?? ''}`)).toEqual([
      'films/7@42',
      'films/7@42',
      'films__new/7@42',
      'customers/1@42',
      'films__new/7@42',
      'films/7@42',
    ]);
    // the operation itself goes to its own name (its dead-letter trigger is found by identity)
    expect(inner.written[1]).toBe(operation);
    expect(router.targetsOf('films')).toEqual(['films']);
  });

  it('one outcome for several indexes: rejected if any was, superseded only if all were', async () => {
    const rejected: WriteOutcome = { status: 'rejected', reason: 'mapper_parsing_exception', httpStatus: 400 };
    expect(combineOutcomes([{ status: 'acknowledged' }, rejected])).toBe(rejected);
    expect(combineOutcomes([{ status: 'superseded' }, { status: 'superseded' }])).toEqual({ status: 'superseded' });
    expect(combineOutcomes([{ status: 'superseded' }, { status: 'acknowledged' }])).toEqual({ status: 'acknowledged' });
    const router = new ChannelRouter(recordingWriter((operation) => (operation.index === 'films' ? { status: 'superseded' } : { status: 'acknowledged' })));
    router.route('films', ['films', 'films__new']);
    expect(await router.write({ kind: 'index', index: 'films', id: '1', document: {}, version: 1 })).toEqual({ status: 'acknowledged' });
  });

  it('turns what the inner writer throws (a closed channel) into a rejected promise, routed or not', async () => {
    const closed = new Error('the bulk channel is closed: no more writes');
    const router = new ChannelRouter({
      ...recordingWriter(),
      write: () => {
        throw closed;
      },
    });
    const operation: DocumentOperation = { kind: 'delete', index: 'films', id: '7', version: 1 };
    let unrouted: Promise<WriteOutcome> | undefined;
    expect(() => (unrouted = router.write(operation))).not.toThrow();
    await expect(unrouted).rejects.toBe(closed);
    router.route('films', ['films', 'films__new']);
    await expect(router.write(operation)).rejects.toBe(closed);
  });
});
