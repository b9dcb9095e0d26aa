// Owner references and the mapping back from an owned object to its owner's work-queue key.
import type { KubeObject, OwnerReference } from './resource.ts';

/**
 * An owner reference to `owner` (which must carry apiVersion, kind, name and uid, as objects from
 * an informer do). Defaults: controller and blockOwnerDeletion true, as controller-runtime sets them.
 */
export function ownerReference(
  owner: KubeObject,
  {
    controller = true,
    blockOwnerDeletion = true,
  }: { controller?: boolean; blockOwnerDeletion?: boolean } = {},
): OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata ?? {};
  if (!apiVersion || !kind || !name || !uid) {
    throw new Error('an owner reference needs the owner’s apiVersion, kind, name and uid');
  }
  return { apiVersion, kind, name, uid, controller, blockOwnerDeletion };
}

export interface OwnerMatch {
  kind: string;
  /** Only references whose apiVersion is in this group (`agentplane.io`, or '' for core). */
  group?: string;
  /** Whether the owner kind is namespaced: its key is then `<child namespace>/<name>`. */
  namespaced: boolean;
  /** Only the controller reference (default true), as controller-runtime's Owns() does. */
  controllerOnly?: boolean;
}

/** Work-queue keys of the owners of `obj` that match. Owners share a namespaced child's namespace. */
export function ownerKeys(obj: KubeObject, match: OwnerMatch): string[] {
  const { controllerOnly = true } = match;
  const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  return (obj.metadata?.ownerReferences ?? [])
    .filter((ref) => ref.kind === match.kind && (!controllerOnly || ref.controller === true))
    .filter((ref) => match.group === undefined || groupOf(ref.apiVersion) === match.group)
    .map((ref) => (match.namespaced ? `${obj.metadata?.namespace}/${ref.name}` : ref.name));
}

/** A `mapToKeys` for watches of owned objects: `watch(deployments, { mapToKeys: toOwner({…}) })`. */
export function toOwner(match: OwnerMatch): (obj: KubeObject) => string[] {
  return (obj) => ownerKeys(obj, match);
}
