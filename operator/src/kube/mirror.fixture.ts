// A toy controller for the integration tests: every ConfigMap labelled role=source gets a
// `<name>-copy` ConfigMap, owned by it, with the same data. Level-based like the real ones: it
// reads both from the cache and applies only when they differ.
import { applyIfNeeded } from './apply.ts';
import type { KubeClient } from './client.ts';
import { type Source, watch } from './controller.ts';
import type { Informer } from './informer.ts';
import type { Manager } from './manager.ts';
import { ownerReference, toOwner } from './owner.ts';
import { anyChange, hasLabels } from './predicates.ts';
import type { KubeObject } from './resource.ts';

export type ConfigMap = KubeObject & { data?: Record<string, string> };

export const fieldManager = 'kube-mirror-test';

export function mirrorWatches(configMaps: Informer<ConfigMap>): Source[] {
  return [
    watch(configMaps, { predicate: hasLabels({ role: 'source' }) }),
    watch(configMaps, { mapToKeys: toOwner({ kind: 'ConfigMap', namespaced: true }), predicate: anyChange }),
  ];
}

/** Adds the mirror controller to `manager`; `onReconcile` sees every key reconciled. */
export function addMirrorController(
  manager: Manager,
  client: KubeClient,
  namespace: string,
  hooks: { onReconcile?: (key: string) => Promise<void> | void } = {},
) {
  const configMaps = manager.informer<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace });
  return manager.controller({
    name: 'mirror',
    concurrency: 2,
    watches: mirrorWatches(configMaps),
    async reconcile(key, { signal }) {
      await hooks.onReconcile?.(key);
      const source = configMaps.get(key);
      if (source?.metadata?.labels?.role !== 'source') return;
      const name = `${source.metadata?.name}-copy`;
      const desired: ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace, ownerReferences: [ownerReference(source)] },
        data: source.data ?? {},
      };
      await applyIfNeeded(client, desired, configMaps.get(`${namespace}/${name}`), { fieldManager, signal });
    },
  });
}
