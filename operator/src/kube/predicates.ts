// Predicates decide which informer events are worth a reconcile. They filter only real changes:
// periodic resyncs bypass them (see `watch` in controller.ts).
import { isDeepStrictEqual } from 'node:util';
import type { InformerEvent } from './informer.ts';
import type { KubeObject } from './resource.ts';

export type Predicate<T extends KubeObject = KubeObject> = (event: InformerEvent<T>) => boolean;

/** Every add, delete and update (an update always carries a new resourceVersion). */
export const anyChange: Predicate = (event) =>
  event.type !== 'update' || event.old.metadata?.resourceVersion !== event.object.metadata?.resourceVersion;

/**
 * Adds, deletes, and updates that changed metadata.generation: spec changes, not status writes.
 * Kinds without a generation (ConfigMap, Namespace…) never pass an update: use anyChange for them.
 */
export const generationChanged: Predicate = (event) =>
  event.type !== 'update' || event.old.metadata?.generation !== event.object.metadata?.generation;

/** Updates that changed labels, annotations, finalizers, owner references or the deletion mark. */
export const metadataChanged: Predicate = (event) => {
  if (event.type !== 'update') return true;
  const pick = ({ metadata: m = {} }: KubeObject) => [
    m.labels ?? {},
    m.annotations ?? {},
    m.finalizers ?? [],
    m.ownerReferences ?? [],
    m.deletionTimestamp,
  ];
  return !isDeepStrictEqual(pick(event.old), pick(event.object));
};

/**
 * Updates in which `read` of the object changed, e.g. one status field a controller acts on (status
 * writes change no generation). Adds and deletes do not pass: other predicates cover them.
 */
export function updateChanged<T extends KubeObject = KubeObject>(read: (object: T) => unknown): Predicate<T> {
  return (event) => event.type === 'update' && read(event.old) !== read(event.object);
}

/** Passes when any of `predicates` passes. */
export function or<T extends KubeObject>(...predicates: Array<Predicate<T>>): Predicate<T> {
  return (event) => predicates.some((predicate) => predicate(event));
}

/** Passes objects (old or new, for updates) carrying every label of `selector`. */
export function hasLabels(selector: Record<string, string>): Predicate {
  const matches = (obj: KubeObject) =>
    Object.entries(selector).every(([key, value]) => obj.metadata?.labels?.[key] === value);
  return (event) => matches(event.object) || (event.type === 'update' && matches(event.old));
}
