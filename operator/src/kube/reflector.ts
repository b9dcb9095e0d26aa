// The list-and-watch loop behind an informer, as client-go's reflector: list (paged), then watch
// from the list's resourceVersion; re-watch when the server ends a watch; list again at once when
// the resourceVersion has expired (410 Gone), and after a backoff when a list or watch fails.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@agentplane/shared';
import { KubeApiError, type KubeClient, type WatchEvent } from './client.ts';
import type { KubeObject } from './resource.ts';

/** Where the reflector delivers what it learns. */
export interface ReflectorSink<T> {
  /** The complete current list (first sync, and after every re-list). */
  replace(items: T[]): void;
  upsert(obj: T): void;
  remove(obj: T): void;
}

export interface ReflectorOptions {
  client: KubeClient;
  log: Logger;
  /** The collection's path, resolved once per list (discovery may fail and be retried). */
  path: () => Promise<string>;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  pageSize?: number | undefined;
  watchTimeoutSeconds?: number | undefined;
  backoff?: { baseMs?: number; maxMs?: number } | undefined;
}

type ListPage<T> = { metadata: { resourceVersion: string; continue?: string }; items: T[] };

/** Runs until `signal` aborts. Never rejects. */
export async function reflect<T extends KubeObject>(
  options: ReflectorOptions,
  sink: ReflectorSink<T>,
  signal: AbortSignal,
) {
  const { client, log } = options;
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const { baseMs = 800, maxMs = 30_000 } = options.backoff ?? {};

  async function list(path: string): Promise<string> {
    const items: T[] = [];
    let page: ListPage<T> | undefined;
    do {
      const query = { ...selectors, limit: options.pageSize ?? 500, continue: page?.metadata.continue };
      page = await client.request<ListPage<T>>({ method: 'GET', path, query, signal });
      items.push(...page.items);
    } while (page.metadata.continue);
    sink.replace(items);
    return page.metadata.resourceVersion;
  }

  /** One watch session: where to resume, or expired when only a re-list can continue. */
  async function watchFrom(path: string, resourceVersion: string) {
    const session = new AbortController();
    const started = Date.now();
    const result = { resourceVersion, expired: false, events: 0, failure: undefined as Error | undefined };
    const timeoutSeconds = options.watchTimeoutSeconds ?? Math.round(300 + Math.random() * 300);
    const query = { ...selectors, resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    const onEvent = ({ type, object }: WatchEvent) => {
      if (type === 'ERROR') {
        result.expired = object.code === 410;
        if (!result.expired) result.failure = new Error(`watch error ${object.code}: ${object.message}`);
        session.abort();
        return;
      }
      result.events += 1;
      if (type === 'ADDED' || type === 'MODIFIED') sink.upsert(object as T);
      if (type === 'DELETED') sink.remove(object as T);
      result.resourceVersion = object.metadata?.resourceVersion ?? result.resourceVersion;
    };
    try {
      await client.watch(path, query, onEvent, AbortSignal.any([signal, session.signal]));
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 410)) throw error;
      result.expired = true;
    }
    if (result.failure) throw result.failure;
    // client-go's guard: a watch that ends at once, silently, would otherwise spin.
    if (!result.expired && !signal.aborted && result.events === 0 && Date.now() - started < 1000) {
      throw new Error('the watch ended at once without events');
    }
    return result;
  }

  let failures = 0;
  while (!signal.aborted) {
    try {
      const path = await options.path();
      let resourceVersion = await list(path);
      for (let expired = false; !expired && !signal.aborted; failures = 0) {
        ({ resourceVersion, expired } = await watchFrom(path, resourceVersion));
      }
      if (!signal.aborted) log.info({ resourceVersion }, 'watch expired; listing again');
    } catch (error) {
      if (signal.aborted) break;
      failures += 1;
      const delayMs = Math.round(Math.min(baseMs * 2 ** (failures - 1), maxMs) * (0.5 + Math.random() / 2));
      log.warn({ err: error, failures, delayMs }, 'list or watch failed; listing again after a delay');
      await sleep(delayMs, undefined, { signal }).catch(() => {});
    }
  }
}
