// Server-side apply: the operator states the fields it owns under one field manager and the API
// server merges them. `applyIfNeeded` and `applyStatus` first compare with the cached object, so a
// reconcile of an unchanged world makes no write at all.
import type { KubeClient } from './client.ts';
import { needsApply } from './needs-apply.ts';
import { type KubeObject, resourcePath } from './resource.ts';

export interface ApplyOptions {
  /** Who owns the applied fields. Controllers that apply to the same object need distinct managers. */
  fieldManager: string;
  /** Take over fields another manager owns (default true: the operator's desired state wins). */
  force?: boolean;
  signal?: AbortSignal;
}

export interface Applied<T> {
  object: T;
  /** Whether a request was made. */
  written: boolean;
}

async function patchApply<T extends KubeObject>(
  client: KubeClient,
  body: KubeObject,
  options: ApplyOptions,
  subresource?: string,
): Promise<T> {
  const { apiVersion, kind, metadata } = body;
  if (!apiVersion || !kind || !metadata?.name)
    throw new Error('an applied object needs apiVersion, kind and metadata.name');
  const type = await client.discover(apiVersion, kind);
  const path = resourcePath(type, {
    namespace: metadata.namespace,
    name: metadata.name,
    ...(subresource ? { subresource } : {}),
  });
  return client.request<T>({
    method: 'PATCH',
    path,
    query: { fieldManager: options.fieldManager, force: options.force ?? true },
    body,
    // JSON is YAML, so the apply patch is sent as JSON under the apply content type.
    contentType: 'application/apply-patch+yaml',
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Applies `desired` (creating it if missing) and returns the object the server stored. Always
 * writes; idempotent. Throws KubeApiError (409 Conflict only when force is false).
 */
export function apply<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  options: ApplyOptions,
): Promise<T> {
  return patchApply<T>(client, desired, options);
}

/**
 * Applies `desired` only when `needsApply` says the live object (from an informer's cache, or
 * undefined when absent) differs from it; otherwise returns `live` without a request.
 */
export async function applyIfNeeded<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  live: T | undefined,
  options: ApplyOptions,
): Promise<Applied<T>> {
  if (live && !needsApply(desired, live, options.fieldManager)) return { object: live, written: false };
  return { object: await apply(client, desired, options), written: true };
}

/**
 * Applies `status` to the status subresource of `live` when it differs from what this manager
 * applied before; returns the stored object and whether a request was made. Give each controller
 * that writes a distinct part of the status (its own conditions) its own field manager.
 */
export async function applyStatus<T extends KubeObject>(
  client: KubeClient,
  live: T,
  status: Record<string, unknown>,
  options: ApplyOptions,
): Promise<Applied<T>> {
  const { apiVersion, kind } = live;
  const { name, namespace } = live.metadata ?? {};
  const body = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, status };
  if (!needsApply(body, live, options.fieldManager, 'status')) return { object: live, written: false };
  return { object: await patchApply<T>(client, body, options, 'status'), written: true };
}
