// A tenant's status as the API shows it: what its member's operator reports, read from the hub's
// cache, or Degraded (ClusterUnreachable) while that member does not answer. Pure.
import type { Tenant } from '@agentplane/crds';
import type { Condition } from '@agentplane/operator/kube';
import type { ClusterHealthState } from './entities.ts';
import type { HealthRecord } from './health.ts';

export interface TenantLiveStatus {
  cluster: string;
  clusterHealth: ClusterHealthState;
  /** The member's phase; Degraded while the member does not answer; Pending before it reports one. */
  phase: string;
  reason: string | null;
  message: string | null;
  /** The operator's conditions as last seen (kept while the member does not answer). */
  conditions: Condition[];
  namespace: string | null;
  agentInstances: number | null;
  /** When the hub last heard from the member that all is well. */
  lastSeenAt: string | null;
}

export function liveTenantStatus(
  cluster: string,
  health: HealthRecord | undefined,
  tenant: Tenant | undefined,
  cacheSynced: boolean,
): TenantLiveStatus {
  const lastSeenAt = health?.lastSuccessAt?.toISOString() ?? null;
  const status = tenant?.status;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  const observed = {
    cluster,
    clusterHealth: health?.state ?? 'Unknown',
    // Exactly the documented fields: the API's schema is strict (observedGeneration stays on the member).
    conditions: (status?.conditions ?? []).map(({ type, status, reason, message, lastTransitionTime }) => ({
      type,
      status,
      reason,
      message,
      lastTransitionTime,
    })) as Condition[],
    namespace: status?.home?.namespace ?? status?.namespace ?? null,
    agentInstances: status?.agentInstances ?? null,
    lastSeenAt,
  };
  if (!health || health.state === 'Unreachable') {
    const since = lastSeenAt ? `since ${lastSeenAt}` : 'since it was registered';
    const why = health ? health.message : 'the hub is not connected to it';
    return {
      ...observed,
      phase: 'Degraded',
      reason: 'ClusterUnreachable',
      message: `member cluster ${cluster} has not answered ${since}: ${why}${status?.phase ? `; last reported phase ${status.phase}` : ''}`,
    };
  }
  if (!tenant) {
    return {
      ...observed,
      phase: 'Pending',
      reason: cacheSynced ? 'NotPropagated' : 'CacheSyncing',
      message: cacheSynced
        ? `the Tenant is not on ${cluster} yet; the hub writes it on its next sync`
        : `the hub is still listing ${cluster}`,
    };
  }
  return {
    ...observed,
    phase: status?.phase ?? 'Pending',
    reason: ready?.reason ?? null,
    message: ready?.message ?? null,
  };
}
