// A controller: informer events become keys in a work queue (through predicates and mappers), and
// workers reconcile each key from the current state, one reconcile per key at a time. The outcome
// decides what follows: forget (success), come back later (requeueAfterMs), retry with per-key
// backoff (thrown error), or report and stop retrying (TerminalError).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@agentplane/shared';
import type { Informer } from './informer.ts';
import type { Predicate } from './predicates.ts';
import { type KubeObject, objectKey } from './resource.ts';
import { type ReconcileResult, TerminalError } from './result.ts';
import { createWorkQueue, type QueueMetrics, type WorkQueue } from './workqueue.ts';

export interface ReconcileContext {
  /** A child logger carrying the controller and the key. */
  log: Logger;
  /** Aborted when the controller stops and the drain time is up, or when leadership is lost. */
  signal: AbortSignal;
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets a reconcile that decides nothing just return.
export type Reconciler = (key: string, context: ReconcileContext) => Promise<ReconcileResult | void>;

/** A source of keys for a controller, made by `watch`. */
export interface Source {
  readonly kind: string;
  /** Starts enqueueing; returns the function that stops it. */
  connect(enqueue: (key: string) => void): () => void;
}

export interface WatchOptions<T extends KubeObject> {
  /** Keys to reconcile when `obj` changes; default the object's own key (the primary resource). */
  mapToKeys?: (obj: T) => string[];
  /** Which adds, updates and deletes count; default all. */
  predicate?: Predicate<T>;
  /** Whether periodic resyncs enqueue; default true for the primary resource only. */
  resync?: boolean;
}

/**
 * Watches `informer` for a controller. For updates of mapped objects both the old and the new
 * object are mapped, so a child that changed owners tells both.
 */
export function watch<T extends KubeObject>(informer: Informer<T>, options: WatchOptions<T> = {}): Source {
  const { mapToKeys, predicate, resync = !mapToKeys } = options;
  const keysOf = mapToKeys ?? ((obj: T) => [objectKey(obj)]);
  return {
    kind: informer.kind,
    connect: (enqueue) =>
      informer.on((event) => {
        const isResync = event.type === 'update' && event.resync;
        if (isResync ? !resync : predicate && !predicate(event)) return;
        const keys = keysOf(event.object);
        if (event.type === 'update' && !isResync && mapToKeys) keys.push(...mapToKeys(event.old));
        for (const key of new Set(keys)) enqueue(key);
      }),
  };
}

export type ReconcileOutcome = 'success' | 'requeue_after' | 'error' | 'terminal';

export interface ControllerMetrics {
  queue: QueueMetrics;
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  watches: Source[];
  log: Logger;
  /** Reconciles running at once (distinct keys); default 1. */
  concurrency?: number;
  metrics?: ControllerMetrics;
  /** Called after a TerminalError was logged, e.g. to set a condition or record an Event. */
  onTerminal?: (key: string, error: TerminalError) => void;
  backoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Fields every log line of a key's reconcile carries, e.g. the tenant it belongs to. */
  logFields?: (key: string) => Record<string, string | undefined>;
}

export interface Controller {
  readonly name: string;
  /** Connects the watches (every existing object is enqueued) and starts the workers. */
  start(): void;
  /**
   * Stops taking keys; reconciles in flight get `drainTimeoutMs` to finish, then their signal is
   * aborted. Resolves when they have settled (or a short grace after the abort). Restartable.
   */
  stop(drainTimeoutMs?: number): Promise<void>;
  /** Queues a key by hand (ignored while stopped). */
  enqueue(key: string): void;
  isRunning(): boolean;
}

export function createController(options: ControllerOptions): Controller {
  const { name, reconcile, metrics, onTerminal } = options;
  const log = options.log.child({ controller: name });
  let current:
    | { queue: WorkQueue; abort: AbortController; workers: Promise<void>; disconnect: () => void }
    | undefined;

  async function process(queue: WorkQueue, signal: AbortSignal, key: string): Promise<void> {
    // A trace id per reconcile ties its log lines together (W3C trace-id format: 16 random bytes).
    const keyLog = log.child({ key, ...options.logFields?.(key), traceId: randomBytes(16).toString('hex') });
    const started = performance.now();
    let outcome: ReconcileOutcome = 'success';
    try {
      const result = await reconcile(key, { log: keyLog, signal });
      keyLog.debug(
        { ms: Math.round(performance.now() - started), requeueAfterMs: result?.requeueAfterMs },
        'reconciled',
      );
      queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        outcome = 'requeue_after';
        queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (error) {
      if (error instanceof TerminalError) {
        outcome = 'terminal';
        queue.forget(key);
        keyLog.error({ err: error, reason: error.reason }, 'reconcile failed for good; not retrying');
        report(key, error);
      } else {
        outcome = 'error';
        queue.addRateLimited(key); // a no-op once the queue is shut down
        if (signal.aborted) keyLog.info({ err: error }, 'reconcile aborted: the controller is stopping');
        else
          keyLog.error(
            { err: error, retries: queue.numRequeues(key) },
            'reconcile failed; retrying with backoff',
          );
      }
    } finally {
      metrics?.reconciled(outcome, (performance.now() - started) / 1000);
    }
  }

  function report(key: string, error: TerminalError): void {
    try {
      onTerminal?.(key, error);
    } catch (hookError) {
      log.error({ err: hookError, key }, 'onTerminal hook failed');
    }
  }

  return {
    name,
    start() {
      if (current) return;
      const queue = createWorkQueue({ ...options.backoff, ...(metrics ? { metrics: metrics.queue } : {}) });
      const abort = new AbortController();
      const disconnects = options.watches.map((source) => source.connect((key) => queue.add(key)));
      const workers = queue.run(options.concurrency ?? 1, (key) => process(queue, abort.signal, key));
      current = {
        queue,
        abort,
        workers,
        disconnect: () => {
          for (const stop of disconnects) stop();
        },
      };
      log.info(
        { concurrency: options.concurrency ?? 1, watches: options.watches.map((s) => s.kind) },
        'controller started',
      );
    },
    async stop(drainTimeoutMs = 0) {
      if (!current) return;
      const { queue, abort, workers, disconnect } = current;
      current = undefined;
      disconnect();
      const drained = await queue.shutDown(drainTimeoutMs);
      if (!drained) {
        log.warn({ drainTimeoutMs }, 'reconciles still running after the drain time; aborting them');
        abort.abort(new Error(`controller ${name} is stopping`));
        await Promise.race([workers, sleep(1000, undefined, { ref: false })]);
      }
      log.info({ drained }, 'controller stopped');
    },
    enqueue: (key) => current?.queue.add(key),
    isRunning: () => current !== undefined,
  };
}
