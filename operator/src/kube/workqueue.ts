// A work queue of string keys with client-go's guarantees: a key waiting is queued once however
// often it is added; a key being processed is never handed to a second worker, and if it is added
// meanwhile it is queued again once it is done. Failures back off per key, exponentially.

/** Counters the queue reports to; the manager backs them with Prometheus metrics. */
export interface QueueMetrics {
  added(): void;
  depth(waiting: number): void;
  retried(): void;
}

export interface WorkQueueOptions {
  /** First retry delay of a failing key; doubled per failure up to maxDelayMs. Default 5 ms. */
  baseDelayMs?: number;
  /** Default 5 minutes. */
  maxDelayMs?: number;
  metrics?: QueueMetrics;
}

export interface WorkQueue {
  /** Queues `key` unless it is already waiting; a no-op after shutDown. */
  add(key: string): void;
  /** Queues `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void;
  /** Queues `key` after its backoff: base × 2^failures, capped; each call counts a failure. */
  addRateLimited(key: string): void;
  /** Resets the failure count of `key` (call after a success). */
  forget(key: string): void;
  numRequeues(key: string): number;
  /** Number of keys waiting (not delayed, not in flight). */
  len(): number;
  /**
   * Runs `concurrency` workers calling `process` for each key, one key at most once at a time.
   * Resolves when every worker has stopped after shutDown. `process` should not reject; a rejection
   * is passed to `onError` and the key counts as done.
   */
  run(
    concurrency: number,
    process: (key: string) => Promise<void>,
    onError?: (error: unknown) => void,
  ): Promise<void>;
  /**
   * Stops accepting and drops waiting and delayed keys; resolves true when the keys in flight
   * finished within `drainTimeoutMs`, false when the time ran out first.
   */
  shutDown(drainTimeoutMs?: number): Promise<boolean>;
}

export function createWorkQueue({
  baseDelayMs = 5,
  maxDelayMs = 300_000,
  metrics,
}: WorkQueueOptions = {}): WorkQueue {
  const waiting: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const failures = new Map<string, number>();
  const idle: Array<(key: string | undefined) => void> = [];
  const drained: Array<() => void> = [];
  let stopping = false;

  function hand(key: string): string {
    dirty.delete(key);
    processing.add(key);
    return key;
  }

  function push(key: string): void {
    const worker = idle.shift();
    if (worker) {
      worker(hand(key));
      return;
    }
    waiting.push(key);
    metrics?.depth(waiting.length);
  }

  function add(key: string): void {
    if (stopping || dirty.has(key)) return;
    metrics?.added();
    dirty.add(key);
    // A key in flight is queued again by done(), so two workers never hold it at once.
    if (!processing.has(key)) push(key);
  }

  function addAfter(key: string, ms: number): void {
    if (stopping) return;
    if (ms <= 0) {
      add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { at, timer });
  }

  function addRateLimited(key: string): void {
    const count = failures.get(key) ?? 0;
    failures.set(key, count + 1);
    metrics?.retried();
    addAfter(key, Math.min(baseDelayMs * 2 ** count, maxDelayMs));
  }

  function get(): Promise<string | undefined> {
    const key = waiting.shift();
    if (key !== undefined) {
      metrics?.depth(waiting.length);
      return Promise.resolve(hand(key));
    }
    if (stopping) return Promise.resolve(undefined);
    return new Promise((resolve) => idle.push(resolve));
  }

  function done(key: string): void {
    processing.delete(key);
    if (dirty.has(key) && !stopping) push(key);
    if (processing.size === 0) for (const resolve of drained.splice(0)) resolve();
  }

  async function worker(process: (key: string) => Promise<void>, onError?: (error: unknown) => void) {
    for (let key = await get(); key !== undefined; key = await get()) {
      try {
        await process(key);
      } catch (error) {
        onError?.(error);
      } finally {
        done(key);
      }
    }
  }

  async function shutDown(drainTimeoutMs = 0): Promise<boolean> {
    stopping = true;
    for (const { timer } of delayed.values()) clearTimeout(timer);
    delayed.clear();
    waiting.length = 0;
    dirty.clear();
    metrics?.depth(0);
    for (const resolve of idle.splice(0)) resolve(undefined);
    if (processing.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<boolean>((resolve) => drained.push(() => resolve(true)));
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), drainTimeoutMs);
    });
    const result = await Promise.race([finished, expired]);
    clearTimeout(timer);
    return result;
  }

  return {
    add,
    addAfter,
    addRateLimited,
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
    len: () => waiting.length,
    run: async (concurrency, process, onError) => {
      await Promise.all(Array.from({ length: concurrency }, () => worker(process, onError)));
    },
    shutDown,
  };
}
