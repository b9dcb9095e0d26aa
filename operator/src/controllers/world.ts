// The operator's view of the cluster (shared informers) and the writes a reconcile may make,
// adapted to the narrow ports the reconcilers declare. All writes go through server-side apply
// under one field manager, and only when the cached object differs: an unchanged world costs no write.
import type { AgentInstance, Tenant } from '@agentplane/crds';
import type { Logger } from '@agentplane/shared';
import { applyIfNeeded, applyStatus } from '../kube/apply.ts';
import { isNotFound, type KubeClient } from '../kube/client.ts';
import { type Condition, setCondition } from '../kube/conditions.ts';
import { ensureFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import type { Informer } from '../kube/informer.ts';
import type { Manager } from '../kube/manager.ts';
import { type KubeObject, objectKey, resourcePath } from '../kube/resource.ts';
import type { Desired } from './tenant/desired.ts';
import { labels, managedBy } from './tenant/plan.ts';
import type { ConditionFact } from './tenant/status.ts';

export const fieldManager = 'agentplane-operator';

/** Kinds the operator creates, cached with the managed-by label so the cache holds only ours. */
const childKinds = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
] as const;
const scaledObjectKind = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' } as const;

export type Status = Record<string, unknown> & { conditions?: Condition[] };

export interface World {
  tenants: Informer<Tenant>;
  agentInstances: Informer<AgentInstance>;
  /** Informer of a kind the operator creates, by kind. */
  children: Map<string, Informer<KubeObject>>;
  /** `fieldManager` separates an intent from the operator's main one (see move.ts). */
  apply(object: Desired, options?: { fieldManager?: string }): Promise<void>;
  remove(object: Pick<Desired, 'apiVersion' | 'kind' | 'metadata'>): Promise<void>;
  writeStatus<T extends Tenant | AgentInstance>(
    object: T,
    status: Record<string, unknown>,
    facts: ConditionFact[],
  ): Promise<string | undefined>;
  ensureFinalizer(object: Tenant | AgentInstance, finalizer: string): Promise<void>;
  removeFinalizer(object: Tenant | AgentInstance, finalizer: string): Promise<void>;
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, note: string): void;
}

/** Registers the shared informers on `manager` (before it starts) and returns the world over them. */
export function createWorld(
  manager: Manager,
  client: KubeClient,
  { keda, log }: { keda: boolean; log: Logger },
): World {
  const tenants = manager.informer<Tenant>({ apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant' });
  const agentInstances = manager.informer<AgentInstance>(
    { apiVersion: 'agentplane.io/v1alpha1', kind: 'AgentInstance' },
    { indexers: { tenant: (ai) => [ai.spec.tenantRef] } },
  );
  const labelSelector = `${labels.managedBy}=${managedBy}`;
  const children = new Map<string, Informer<KubeObject>>();
  for (const kind of keda ? [...childKinds, scaledObjectKind] : childKinds) {
    children.set(kind.kind, manager.informer<KubeObject>(kind, { labelSelector }));
  }
  const liveOf = (object: Pick<Desired, 'kind' | 'metadata'>): KubeObject | undefined => {
    const key = objectKey(object as KubeObject);
    if (object.kind === 'AgentInstance') return agentInstances.get(key);
    return children.get(object.kind)?.get(key);
  };
  // Secrets are not cached: the operator may not list or watch them, only read one by name.
  const cached = (kind: string) => kind === 'AgentInstance' || children.has(kind);
  const readByName = async (object: Pick<Desired, 'apiVersion' | 'kind' | 'metadata'>) => {
    const type = await client.discover(object.apiVersion, object.kind);
    const where = { namespace: object.metadata.namespace, name: object.metadata.name };
    return client.request<KubeObject>({ method: 'GET', path: resourcePath(type, where) }).catch((error) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
  };

  const written = new Map<string, { version: string | undefined; status: Status }>();
  const remember = (uid: string, entry: { version: string | undefined; status: Status }) => {
    written.delete(uid);
    written.set(uid, entry);
    // Bounded: the oldest entries are long since caught up by the cache.
    if (written.size > 10_000) written.delete(written.keys().next().value ?? '');
  };

  return {
    tenants,
    agentInstances,
    children,
    async apply(object, options = {}) {
      const live = cached(object.kind) ? liveOf(object) : await readByName(object);
      await applyIfNeeded(client, object as KubeObject, live, {
        fieldManager: options.fieldManager ?? fieldManager,
      });
    },
    async remove(object) {
      if (cached(object.kind) && !liveOf(object)) return;
      const type = await client.discover(object.apiVersion, object.kind);
      const where = { namespace: object.metadata.namespace, name: object.metadata.name };
      await client
        // DeleteOptions as query parameters, not a body: DELETE requests with a body were followed,
        // now and then, by a bare HTTP 400 on the same keep-alive connection.
        .request({
          method: 'DELETE',
          path: resourcePath(type, where),
          query: { propagationPolicy: 'Background' },
        })
        .catch((error) => {
          if (!isNotFound(error)) throw error;
        });
    },
    async writeStatus(object, status, facts) {
      // Right after our own status write the cache may still hold the old status; a reconcile in
      // that window would rewrite it and repeat its Events. Like client-go's MutationCache, what we
      // wrote is the truth until the cache holds that version or a newer one.
      const uid = object.metadata.uid ?? '';
      const memo = written.get(uid);
      const cacheIsStale = memo !== undefined && isNewer(memo.version, object.metadata.resourceVersion);
      const fresh = cacheIsStale ? memo.status : object.status;
      const previous = ((fresh as Status | undefined)?.conditions ?? []) as Condition[];
      let conditions = previous;
      const now = new Date();
      for (const fact of facts) {
        conditions = setCondition(
          conditions,
          { ...fact, observedGeneration: object.metadata.generation },
          now,
        );
      }
      const next = { ...status, conditions };
      if (cacheIsStale && JSON.stringify(memo.status) === JSON.stringify(next)) return;
      const { written: wrote, object: stored } = await applyStatus(client, object, next, { fieldManager });
      if (!wrote) return;
      remember(uid, { version: stored.metadata.resourceVersion, status: next });
      const before = new Map(previous.map((c) => [c.type, c.status]));
      const told = new Set<string>();
      for (const fact of facts) {
        // An Event for each condition that became true; failures already recorded theirs. Ready
        // often repeats another condition's reason and message: one Event says it.
        const said = `${fact.reason}\n${fact.message}`;
        if (fact.status === 'True' && before.get(fact.type) !== 'True' && !told.has(said)) {
          told.add(said);
          this.event(object, 'Normal', fact.reason, fact.message);
        }
      }
      return stored.metadata.resourceVersion;
    },
    async ensureFinalizer(object, finalizer) {
      await ensureFinalizer(client, object, finalizer);
    },
    async removeFinalizer(object, finalizer) {
      await removeFinalizer(client, object, finalizer);
    },
    event(object, type, reason, note) {
      log.debug({ object: objectKey(object), type, reason, note }, 'event');
      void manager.events.record(object, { type, reason, action: 'Reconcile', note }).catch((error) => {
        log.warn({ err: error, reason }, 'event not recorded');
      });
    },
  };
}

/**
 * Whether resourceVersion `a` is newer than `b`. They are opaque to clients, but the API server
 * serves etcd revisions, which are integers that only grow; client-go's MutationCache relies on the
 * same. Anything else is treated as "different, so newer".
 */
function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || a === b) return false;
  if (b === undefined) return true;
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(a) > BigInt(b) : true;
}
