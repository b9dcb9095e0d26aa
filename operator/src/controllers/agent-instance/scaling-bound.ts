// What a tenant's agents may take at most (replicas at their peak × the runtime's limits), checked
// against the tenant's quota when an instance is admitted. In a dedicated namespace the ResourceQuota
// would refuse the pods later anyway; in a shared pool only the pool's quota exists, so this check is
// what keeps one tenant from taking the pool's capacity from the others.
import type { AgentInstanceSpec, EffectiveTenantSettings } from '@agentplane/crds';
import { parseQuantity } from '../../kube/quantity.ts';
import type { RuntimeDefaults } from './desired.ts';

export interface Footprint {
  pods: number;
  cpu: number;
  memory: number;
}

/** Peak pods of one instance and what they may use: autoscaled instances count at maxReplicas. */
export function footprintOf(
  spec: Pick<AgentInstanceSpec, 'replicas' | 'autoscaling' | 'paused'>,
  resources: RuntimeDefaults['resources'],
): Footprint {
  const pods = spec.paused ? 0 : (spec.autoscaling?.maxReplicas ?? spec.replicas ?? 1);
  return {
    pods,
    cpu: pods * (parseQuantity(resources.limits.cpu) ?? 0),
    memory: pods * (parseQuantity(resources.limits.memory) ?? 0),
  };
}

const sum = (all: Footprint[]): Footprint =>
  all.reduce((a, b) => ({ pods: a.pods + b.pods, cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
    pods: 0,
    cpu: 0,
    memory: 0,
  });

const cores = (n: number) => `${Math.round(n * 1000)}m`;
const mebibytes = (n: number) => `${Math.round(n / 2 ** 20)}Mi`;

/**
 * Why `instance` does not fit next to the tenant's older instances, or undefined when it does. The
 * message names the resource, what the agents would need and the quota, and what to change.
 */
export function quotaViolation(
  quota: EffectiveTenantSettings['quota'],
  older: Footprint[],
  instance: Footprint,
): { reason: 'QuotaExceeded'; message: string } | undefined {
  const total = sum([...older, instance]);
  const limits = {
    pods: quota.pods,
    cpu: parseQuantity(quota.cpu) ?? 0,
    memory: parseQuantity(quota.memory) ?? 0,
  };
  const over = [
    total.pods > limits.pods ? `${total.pods} pods (quota ${limits.pods})` : undefined,
    total.cpu > limits.cpu + 1e-9 ? `cpu ${cores(total.cpu)} (quota ${quota.cpu})` : undefined,
    total.memory > limits.memory ? `memory ${mebibytes(total.memory)} (quota ${quota.memory})` : undefined,
  ].filter((x) => x !== undefined);
  if (over.length === 0) return undefined;
  return {
    reason: 'QuotaExceeded',
    message:
      `with this instance at its peak the tenant's agents would need ${over.join(', ')}; ` +
      "lower spec.replicas or spec.autoscaling.maxReplicas, or raise the Tenant's spec.quota",
  };
}
