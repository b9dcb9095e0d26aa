// Client-side rate limiting of API requests, like client-go's QPS and Burst: a token bucket that
// holds up to `burst` tokens and refills at `qps` a second. A reconcile storm (a resync of thousands
// of tenants, a re-list after an API server restart) then queues in the operator instead of pressing
// on the API server, whose priority and fairness would otherwise throttle every client.

export interface RateLimiter {
  /** Resolves when a request may go; rejects with the signal's reason when aborted while waiting. */
  take(signal?: AbortSignal): Promise<void>;
}

export function createTokenBucket(
  { qps, burst }: { qps: number; burst: number },
  now: () => number = performance.now.bind(performance),
): RateLimiter {
  let tokens = burst;
  let updated = now();
  // Waiters are served in order: the next one may go when the bucket holds a whole token again.
  let tail: Promise<void> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - updated) / 1000) * qps);
    updated = t;
  };

  const wait = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', abort);
        resolve();
      }
      function abort() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener('abort', abort, { once: true });
    });

  return {
    take(signal) {
      const turn = tail.then(async () => {
        signal?.throwIfAborted();
        refill();
        if (tokens < 1) {
          await wait(((1 - tokens) / qps) * 1000, signal);
          refill();
        }
        tokens -= 1;
      });
      // A waiter that gave up (aborted) must not hold up the ones behind it.
      tail = turn.catch(() => undefined);
      return turn;
    },
  };
}
