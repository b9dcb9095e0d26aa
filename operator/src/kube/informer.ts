// A typed informer: an indexed cache kept current by a reflector (list + watch, see reflector.ts)
// that tells handlers what changed, and re-delivers every cached object as an update each resyncMs
// so level-based controllers periodically look at everything again.
import type { Logger } from '@agentplane/shared';
import type { KubeClient } from './client.ts';
import { reflect } from './reflector.ts';
import { type KubeObject, objectKey, type ResourceType, resourcePath } from './resource.ts';
import { createStore, type Indexers, type Store } from './store.ts';

export type InformerEvent<T> =
  | { type: 'add'; object: T }
  /** `resync`: a periodic re-delivery of an unchanged object (then old === object). */
  | { type: 'update'; object: T; old: T; resync: boolean }
  /** After a re-list, `object` is the last state the cache saw. */
  | { type: 'delete'; object: T };

export interface InformerOptions<T> {
  /** The kind to watch; plural and scope come from discovery unless given. */
  resource: { apiVersion: string; kind: string } & Partial<ResourceType>;
  log: Logger;
  /** Only this namespace; all namespaces (or a cluster-scoped kind) when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object as an update this often; 0 (default) never. */
  resyncMs?: number;
  indexers?: Indexers<T>;
  /** Delay after a failed list or watch: doubles from baseMs to maxMs, with jitter. */
  backoff?: { baseMs?: number; maxMs?: number };
  pageSize?: number;
  /** Server-side watch timeout; default random 5–10 minutes so informers do not reconnect in step. */
  watchTimeoutSeconds?: number;
}

export interface Informer<T extends KubeObject>
  extends Pick<Store<T>, 'get' | 'list' | 'listByLabels' | 'byIndex'> {
  readonly apiVersion: string;
  readonly kind: string;
  /** Starts listing and watching in the background; idempotent. */
  start(): void;
  /** Stops watching; resolves when the loop has ended. The cache keeps its last content. */
  stop(): Promise<void>;
  /** True once the first list has filled the cache. */
  hasSynced(): boolean;
  /** Resolves when synced; rejects when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Adds a handler (a late one first gets every cached object as an add); returns its remover. */
  on(handler: (event: InformerEvent<T>) => void): () => void;
}

export function createInformer<T extends KubeObject>(
  client: KubeClient,
  options: InformerOptions<T>,
): Informer<T> {
  const { apiVersion, kind } = options.resource;
  const log = options.log.child({ informer: kind, namespace: options.namespace });
  const store = createStore<T>(options.indexers);
  const handlers = new Set<(event: InformerEvent<T>) => void>();
  const synced = { ...Promise.withResolvers<void>(), done: false };
  let running: { abort: AbortController; loop: Promise<void>; resync?: NodeJS.Timeout } | undefined;

  function emit(event: InformerEvent<T>, only?: (event: InformerEvent<T>) => void): void {
    for (const handler of only ? [only] : handlers) {
      try {
        handler(event);
      } catch (error) {
        log.error({ err: error, event: event.type }, 'informer handler failed');
      }
    }
  }

  function stored(obj: T): void {
    obj.apiVersion ??= apiVersion; // list items carry no apiVersion and kind
    obj.kind ??= kind;
    const old = store.upsert(obj);
    if (!old) emit({ type: 'add', object: obj });
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
      emit({ type: 'update', object: obj, old, resync: false });
  }

  async function resourceType(): Promise<ResourceType> {
    const { plural, namespaced } = options.resource;
    if (plural && namespaced !== undefined) return { apiVersion, kind, plural, namespaced };
    return client.discover(apiVersion, kind);
  }

  function replace(items: T[]): void {
    const seen = new Set(items.map(objectKey));
    for (const obj of items) stored(obj);
    for (const obj of store.list()) {
      if (!seen.has(objectKey(obj))) emit({ type: 'delete', object: store.remove(objectKey(obj)) ?? obj });
    }
    synced.done = true;
    synced.resolve();
  }

  function removed(obj: T): void {
    if (store.remove(objectKey(obj))) emit({ type: 'delete', object: obj });
  }

  function run(signal: AbortSignal): Promise<void> {
    const { labelSelector, fieldSelector, pageSize, watchTimeoutSeconds, backoff } = options;
    const path = async () => resourcePath(await resourceType(), { namespace: options.namespace });
    const settings = {
      client,
      log,
      path,
      labelSelector,
      fieldSelector,
      pageSize,
      watchTimeoutSeconds,
      backoff,
    };
    return reflect<T>(settings, { replace, upsert: stored, remove: removed }, signal);
  }

  function resync(): void {
    if (synced.done)
      for (const obj of store.list()) emit({ type: 'update', object: obj, old: obj, resync: true });
  }

  return {
    apiVersion,
    kind,
    get: (key) => store.get(key),
    list: (namespace) => store.list(namespace),
    listByLabels: (selector) => store.listByLabels(selector),
    byIndex: (index, value) => store.byIndex(index, value),
    start() {
      if (running) return;
      const abort = new AbortController();
      const resyncMs = options.resyncMs ?? 0;
      running = {
        abort,
        loop: run(abort.signal),
        ...(resyncMs > 0 ? { resync: setInterval(resync, resyncMs) } : {}),
      };
    },
    async stop() {
      if (!running) return;
      const { abort, loop, resync: timer } = running;
      running = undefined;
      clearInterval(timer);
      abort.abort();
      await loop;
    },
    hasSynced: () => synced.done,
    waitForSync: (signal) => (signal ? abortable(synced.promise, signal) : synced.promise),
    on(handler) {
      handlers.add(handler);
      if (synced.done) for (const object of store.list()) emit({ type: 'add', object }, handler);
      return () => void handlers.delete(handler);
    },
  };
}

/** `promise`, or a rejection with the abort reason when `signal` aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
