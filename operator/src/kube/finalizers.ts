// Finalizers added and removed with a JSON merge patch that carries the resourceVersion read, so a
// concurrent change makes it fail with 409 Conflict (the controller retries) instead of losing
// another controller's finalizer. No request when there is nothing to change.
import { isNotFound, type KubeClient } from './client.ts';
import { type KubeObject, resourcePath } from './resource.ts';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

async function patchFinalizers<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  finalizers: string[],
): Promise<T> {
  const { apiVersion = 'v1', kind = '', metadata = {} } = obj;
  const type = await client.discover(apiVersion, kind);
  return client.request<T>({
    method: 'PATCH',
    path: resourcePath(type, { namespace: metadata.namespace, name: metadata.name }),
    body: { metadata: { finalizers, resourceVersion: metadata.resourceVersion } },
    contentType: 'application/merge-patch+json',
  });
}

/**
 * Adds `finalizer` to `obj` (as read from the cache) and returns the stored object; returns `obj`
 * unchanged without a request when it is already there, or when the object is being deleted (the
 * API server accepts no new finalizers then). Throws KubeApiError 409 when `obj` is stale.
 */
export async function ensureFinalizer<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  finalizer: string,
): Promise<T> {
  if (hasFinalizer(obj, finalizer) || obj.metadata?.deletionTimestamp) return obj;
  return patchFinalizers(client, obj, [...(obj.metadata?.finalizers ?? []), finalizer]);
}

/**
 * Removes `finalizer` from `obj` and returns the stored object, or undefined when the object is
 * gone (a deleted object disappears once its last finalizer goes). No request when it is absent.
 * Throws KubeApiError 409 when `obj` is stale.
 */
export async function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  finalizer: string,
): Promise<T | undefined> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  const rest = (obj.metadata?.finalizers ?? []).filter((name) => name !== finalizer);
  try {
    return await patchFinalizers(client, obj, rest);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
