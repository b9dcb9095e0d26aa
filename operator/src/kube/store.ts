// The informer's cache: objects by key, plus indexes (namespace, labels, and any the caller
// names) so controllers find children without scanning everything.
import { type KubeObject, objectKey } from './resource.ts';

/** Index name → function giving the values an object is filed under. */
export type Indexers<T> = Record<string, (obj: T) => string[]>;

export interface Store<T extends KubeObject> {
  /** By key: `name`, or `namespace/name`. */
  get(key: string): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): T[];
  /** Objects carrying every label of `selector` with the same value; all objects for `{}`. */
  listByLabels(selector: Record<string, string>): T[];
  /** Objects an indexer filed under `value`. */
  byIndex(index: string, value: string): T[];
  /** Stores `obj`, returning the object it replaced. */
  upsert(obj: T): T | undefined;
  /** Removes the object under `key`, returning it. */
  remove(key: string): T | undefined;
  size(): number;
}

const builtIn: Indexers<KubeObject> = {
  namespace: (obj) => [obj.metadata?.namespace ?? ''],
  label: (obj) => Object.entries(obj.metadata?.labels ?? {}).map(([key, value]) => `${key}=${value}`),
};

export function createStore<T extends KubeObject>(indexers: Indexers<T> = {}): Store<T> {
  const objects = new Map<string, T>();
  const all: Indexers<T> = { ...builtIn, ...indexers };
  const indexes = new Map(Object.keys(all).map((name) => [name, new Map<string, Set<string>>()]));

  function file(key: string, obj: T, present: boolean): void {
    for (const [name, indexer] of Object.entries(all)) {
      const index = indexes.get(name);
      for (const value of index ? indexer(obj) : []) {
        const keys = index?.get(value) ?? new Set<string>();
        if (present) keys.add(key);
        else keys.delete(key);
        if (keys.size > 0) index?.set(value, keys);
        else index?.delete(value);
      }
    }
  }

  function keysOf(index: string, value: string): Set<string> {
    const keys = indexes.get(index);
    if (!keys) throw new Error(`no index named ${index}: declare it in the informer's indexers`);
    return keys.get(value) ?? new Set();
  }

  const resolve = (keys: Iterable<string>): T[] =>
    [...keys].flatMap((key) => {
      const obj = objects.get(key);
      return obj ? [obj] : [];
    });

  return {
    get: (key) => objects.get(key),
    list: (namespace) =>
      namespace === undefined ? [...objects.values()] : resolve(keysOf('namespace', namespace)),
    listByLabels(selector) {
      const sets = Object.entries(selector).map(([key, value]) => keysOf('label', `${key}=${value}`));
      if (sets.length === 0) return [...objects.values()];
      const [first = new Set<string>(), ...rest] = sets.sort((a, b) => a.size - b.size);
      return resolve([...first].filter((key) => rest.every((set) => set.has(key))));
    },
    byIndex: (index, value) => resolve(keysOf(index, value)),
    upsert(obj) {
      const key = objectKey(obj);
      const old = objects.get(key);
      if (old) file(key, old, false);
      objects.set(key, obj);
      file(key, obj, true);
      return old;
    },
    remove(key) {
      const old = objects.get(key);
      if (!old) return undefined;
      file(key, old, false);
      objects.delete(key);
      return old;
    },
    size: () => objects.size,
  };
}
