/**
 * A fix for kafkajs 2.2.4's request queues, which keep a timer firing every millisecond for as
 * long as a broker connection is open, with nothing to send (tulios/kafkajs#1556, #1704; the fixes
 * proposed upstream, #1667 and #1768, are not released).
 *
 * After every response, `checkPendingRequests` calls `scheduleCheckPendingRequests`, which arms a
 * `setTimeout` for `throttledUntil - Date.now()` milliseconds even when no request waits; unthrottled,
 * `throttledUntil` is -1, so the delay is negative, Node.js runs it after 1 ms, and it arms the next
 * one. An idle `sluice source` or `sluice sink` spent 3-4 % of a core on it (0.4-0.9 % with the
 * fix); under load the difference was not measurable (README, "Idle CPU").
 *
 * The fixed method arms a timer only while a request waits in the queue: for the end of a broker's
 * throttle, else in 10 ms (kafkajs's own interval). A request that waits was pushed through
 * `push`, which calls the method after queueing it, so none is left without a check; a request
 * held back by the in-flight limit is also sent when a response frees a slot, as before.
 */
import { createRequire } from 'node:module';

/** The kafkajs version whose request queue this fixes (the one sluice pins). */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** kafkajs's interval between checks of a queue whose requests wait for the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The members of kafkajs's RequestQueue (src/network/requestQueue/index.js) the fix reads and writes. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** The constructor of kafkajs's RequestQueue, as loaded by kafkajs itself (same module instance). */
export type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueueInternals;

const requireFromHere = createRequire(import.meta.url);

/** kafkajs's RequestQueue class: the module kafkajs's own connections use. */
export function kafkajsRequestQueue(): RequestQueueClass {
  return requireFromHere('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
}

/** The installed kafkajs version. */
export function installedKafkajsVersion(): string {
  return (requireFromHere('kafkajs/package.json') as { version: string }).version;
}

/**
 * The require cache's entry of kafkajs module `specifier` (loading it first): a module of kafkajs
 * that reads another's export when it loads gets the entry's `exports` as they are then, so a
 * replacement put there before that load is the one kafkajs uses.
 */
export function loadedKafkajsModule(specifier: string): NodeJS.Module {
  const path = requireFromHere.resolve(specifier);
  requireFromHere(path);
  const cached = requireFromHere.cache[path];
  if (cached === undefined) throw new Error(`${specifier} is not in the require cache after loading it`);
  return cached;
}

/** Arms the check of waiting requests only when one waits (see the module comment). */
function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottledMs = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottledMs > 0 ? untilUnthrottledMs : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/**
 * Replaces kafkajs's `RequestQueue.prototype.scheduleCheckPendingRequests` with the fixed one, for
 * every kafkajs client of the process, when the installed kafkajs is {@link FIXED_KAFKAJS_VERSION}
 * (another version is left as it is: it may have changed the queue). Idempotent. Returns whether
 * the fixed method is in place.
 */
export function fixKafkajsRequestQueue(): boolean {
  if (installedKafkajsVersion() !== FIXED_KAFKAJS_VERSION) return false;
  (kafkajsRequestQueue().prototype as RequestQueueInternals).scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
