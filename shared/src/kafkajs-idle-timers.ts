// kafkajs 2.2.4 (the last release; the project is unmaintained) keeps a 1 ms timer running on every
// broker connection once the connection has answered a request: RequestQueue.checkPendingRequests
// always schedules the next check, and with no throttle in effect its delay is negative, which Node
// turns into 1 ms (and, since Node 24, a TimeoutNegativeWarning). Measured here: an idle process with
// a producer, a consumer and an admin client made ~3,600 timer calls and used 3.2 % of a core per
// second; with this fix none and 0.7 %. Every runtime pod, the operator and the control plane pay it.
// Upstream: tulios/kafkajs#1704 and #1751; the open PR #1768 is this same fix.
//
// The fix schedules no check when nothing waits, none is scheduled and no throttle is in effect.
// Nothing is lost by it: a request that cannot be sent at once is queued by `push()`, which then
// schedules its check (the queue is not empty), and every answer checks the queue again.
import { createRequire } from 'node:module';

interface RequestQueueState {
  throttleCheckTimeoutId: unknown;
  pending: unknown[];
  throttledUntil: number;
}

type RequestQueueClass = { prototype: { scheduleCheckPendingRequests?: (this: RequestQueueState) => void } };

const require = createRequire(import.meta.url);
let applied = false;

/** kafkajs's private request queue (one module instance per process: the workspaces share one kafkajs). */
function kafkajsRequestQueue(): RequestQueueClass | undefined {
  try {
    return require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
  } catch {
    return undefined;
  }
}

/**
 * Applies the fix to this process's kafkajs, once (later calls return true and change nothing).
 * Returns false, changing nothing, when this kafkajs has no such queue method (a different version).
 */
export function stopKafkajsIdleTimers(): boolean {
  if (applied) return true;
  const queue = kafkajsRequestQueue();
  const original = queue?.prototype.scheduleCheckPendingRequests;
  if (!queue || typeof original !== 'function') return false;
  queue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueState) {
    const idle =
      !this.throttleCheckTimeoutId && this.pending.length === 0 && this.throttledUntil <= Date.now();
    if (!idle) original.call(this);
  };
  applied = true;
  return true;
}
