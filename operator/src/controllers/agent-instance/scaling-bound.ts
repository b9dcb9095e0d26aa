// How far each of a tenant's agents may scale: its request (replicas, or autoscaling.maxReplicas),
// capped by the tier's replicas per agent and by what is left of the tenant's quota after its older
// agents (pods, and CPU and memory at the runtime's limits). The oldest agents keep their room; a newer
// one gets what is left, capped with a message, or is refused when not even its minimum fits. In a
// dedicated namespace the ResourceQuota would refuse the pods later anyway; in a shared pool only the
// pool's quota exists, so this is what keeps one tenant's lag from taking the pool from the others.
import type { AgentInstanceSpec, EffectiveTenantSettings } from '@agentplane/crds';
import { parseQuantity } from '../../kube/quantity.ts';
import type { RuntimeDefaults } from './desired.ts';

type ScalingSpec = Pick<AgentInstanceSpec, 'replicas' | 'autoscaling' | 'paused'>;

export interface ScalingBound {
  /** The most replicas this agent may run; 0 while paused. */
  maxReplicas: number;
  /** Set when the request was lowered: why, for the Scaling condition. */
  capped?: string;
}

export interface ScalingRefusal {
  reason: 'QuotaExceeded';
  message: string;
}

/** Replicas the spec asks for at its peak: autoscaled agents count at maxReplicas. */
const requested = (spec: ScalingSpec) =>
  spec.paused ? 0 : (spec.autoscaling?.maxReplicas ?? spec.replicas ?? 1);
/** Fewest replicas the spec can run with. */
const minimum = (spec: ScalingSpec) => (spec.paused ? 0 : (spec.autoscaling?.minReplicas ?? 1));

/**
 * The bound of `instance`, given the tenant's `older` agents (oldest first) — each of which was given
 * its own bound the same way — or why it cannot run at all.
 */
export function scalingBound(
  settings: Pick<EffectiveTenantSettings, 'tier' | 'quota' | 'maxReplicasPerAgent'>,
  older: ScalingSpec[],
  instance: ScalingSpec,
  resources: RuntimeDefaults['resources'],
): ScalingBound | ScalingRefusal {
  const perPod = {
    cpu: parseQuantity(resources.limits.cpu) ?? 0,
    memory: parseQuantity(resources.limits.memory) ?? 0,
  };
  const room = {
    pods: settings.quota.pods,
    cpu: parseQuantity(settings.quota.cpu) ?? 0,
    memory: parseQuantity(settings.quota.memory) ?? 0,
  };
  const podsThatFit = () =>
    Math.max(
      0,
      Math.floor(
        Math.min(
          room.pods,
          perPod.cpu > 0 ? room.cpu / perPod.cpu + 1e-9 : Number.POSITIVE_INFINITY,
          perPod.memory > 0 ? room.memory / perPod.memory : Number.POSITIVE_INFINITY,
        ),
      ),
    );
  const take = (pods: number) => {
    room.pods -= pods;
    room.cpu -= pods * perPod.cpu;
    room.memory -= pods * perPod.memory;
  };
  for (const spec of older) take(Math.min(requested(spec), settings.maxReplicasPerAgent, podsThatFit()));

  const asked = requested(instance);
  const fit = podsThatFit();
  const allowed = Math.min(asked, settings.maxReplicasPerAgent, fit);
  if (allowed < minimum(instance)) {
    return {
      reason: 'QuotaExceeded',
      message:
        `the tenant's quota (pods ${settings.quota.pods}, cpu ${settings.quota.cpu}, memory ${settings.quota.memory}) ` +
        `has room for ${fit} more replica(s) at the runtime's limits after its older agents, and this one needs ` +
        `at least ${minimum(instance)}; lower the other agents' replicas or raise the Tenant's spec.quota`,
    };
  }
  if (allowed === asked) return { maxReplicas: allowed };
  const why =
    allowed === settings.maxReplicasPerAgent && settings.maxReplicasPerAgent < fit
      ? `the ${settings.tier} tier allows ${settings.maxReplicasPerAgent} replicas per agent`
      : `the tenant's quota has room for ${fit} more replica(s) after its older agents`;
  return { maxReplicas: allowed, capped: `asked for up to ${asked} replicas, capped at ${allowed}: ${why}` };
}
