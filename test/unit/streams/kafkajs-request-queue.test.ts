import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// imported for its effect: every kafkajs client is made there, after the fix
import '../../../src/streams/kafka-client.js';
import { FIXED_KAFKAJS_VERSION, installedKafkajsVersion, kafkajsRequestQueue, type RequestQueueInternals } from '../../../src/streams/kafkajs-request-queue.js';

/** The rest of kafkajs's RequestQueue that these tests drive. */
interface RequestQueue extends RequestQueueInternals {
  push(request: { entry: { correlationId: number; resolve: () => void; reject: () => void; apiName: string; apiKey: number; apiVersion: number }; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(clientSideThrottleTimeMs: number): void;
}

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A real kafkajs request queue (no socket: `sent` records what it hands to the connection). */
function requestQueue(maxInFlightRequests: number | null): { queue: RequestQueue; sent: number[]; push: (correlationId: number) => void } {
  const RequestQueueClass = kafkajsRequestQueue();
  const queue = new RequestQueueClass({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: '127.0.0.1:1', logger: quietLogger }) as RequestQueue;
  const sent: number[] = [];
  const push = (correlationId: number): void =>
    queue.push({
      entry: { correlationId, resolve: () => undefined, reject: () => undefined, apiName: 'Produce', apiKey: 0, apiVersion: 7 },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  return { queue, sent, push };
}

const respond = (queue: RequestQueue, correlationId: number): void => queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });

describe('the fix of kafkajs request queues that re-armed a timer every millisecond', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is written for the installed kafkajs (a kafkajs upgrade fails here: check whether the queue still needs it)', () => {
    expect(installedKafkajsVersion()).toBe(FIXED_KAFKAJS_VERSION);
  });

  it('leaves no timer armed once a response came and nothing waits (kafkajs 2.2.4 armed one for every response, for ever)', () => {
    const { queue, sent, push } = requestQueue(null);
    push(1);
    respond(queue, 1);
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a request held back by the in-flight limit when a response frees its slot, and then arms nothing', () => {
    const { queue, sent, push } = requestQueue(1);
    push(1);
    push(2);
    expect(sent).toEqual([1]);
    respond(queue, 1);
    expect(sent).toEqual([1, 2]);
    respond(queue, 2);
    vi.runOnlyPendingTimers();
    expect(sent).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a request that waited for a broker throttle when the throttle ends', () => {
    const { queue, sent, push } = requestQueue(null);
    queue.maybeThrottle(50);
    push(1);
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual([1]);
    respond(queue, 1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
