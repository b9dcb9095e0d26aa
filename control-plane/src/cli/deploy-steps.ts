// Pure: how far a tenant's deployment has come, read from the conditions the operator writes. The
// steps people see (infra, secrets, topics, agents) each map to conditions of the Tenant or of its
// AgentInstances; a step is done when they are True for the generation that was applied.
import type { AgentInstance, Tenant } from '@agentplane/crds';
import { adviceFor, type ConditionLike } from './advice.ts';

export const deploySteps = [
  {
    name: 'infra',
    label: 'namespace, quota, network policy, RBAC',
    conditions: ['NamespaceReady', 'QuotaApplied', 'NetworkIsolated'],
  },
  { name: 'secrets', label: 'Vault policy and role, declared keys', conditions: ['SecretsReady'] },
  { name: 'topics', label: 'Kafka topics', conditions: ['MessagingReady'] },
  { name: 'agents', label: 'agent instances Ready', conditions: ['Ready (each AgentInstance)'] },
] as const;

export type StepName = (typeof deploySteps)[number]['name'];
export type StepState = 'pending' | 'done' | 'skipped' | 'failed';

export interface Blocker extends ConditionLike {
  kind: 'Tenant' | 'AgentInstance';
  name: string;
  advice: string;
}

export interface StepProgress {
  name: StepName;
  state: StepState;
  /** What it achieved, or what it waits for. */
  detail: string;
  blocker?: Blocker;
}

/** Reasons that will not change until the spec does: waiting longer cannot help. */
const terminalReasons = new Set([
  'InvalidSpec',
  'PartitionsCannotShrink',
  'WrongNamespace',
  'AgentNotAllowed',
  'TierLimitExceeded',
  'CustomPromptNotAllowed',
  'InvalidTenant',
]);

const conditionOf = (conditions: readonly ConditionLike[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

function blocker(kind: Blocker['kind'], name: string, condition: ConditionLike): Blocker {
  return { kind, name, ...condition, advice: adviceFor(kind, condition) };
}

const notObserved = (kind: Blocker['kind'], name: string): Blocker =>
  blocker(kind, name, {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NotObserved',
    message: 'the operator has not reported on the applied spec yet',
  });

function observed(object: Tenant | AgentInstance): boolean {
  const generation = object.metadata.generation;
  const seen = object.status?.observedGeneration;
  return seen !== undefined && (generation === undefined || seen >= generation);
}

function tenantStep(tenant: Tenant, types: readonly string[]): Omit<StepProgress, 'name'> {
  const name = tenant.metadata.name;
  if (!observed(tenant))
    return { state: 'pending', detail: 'waiting for the operator', blocker: notObserved('Tenant', name) };
  const conditions = tenant.status?.conditions ?? [];
  const present = types.map((type) => conditionOf(conditions, type)).filter((c) => c !== undefined);
  const invalid = conditionOf(conditions, 'Ready');
  if (invalid?.reason === 'InvalidSpec')
    return { state: 'failed', detail: invalid.message, blocker: blocker('Tenant', name, invalid) };
  const failing = present.find((c) => c.status !== 'True');
  if (failing) {
    const state = terminalReasons.has(failing.reason) ? 'failed' : 'pending';
    return { state, detail: failing.message, blocker: blocker('Tenant', name, failing) };
  }
  // The operator writes every condition it owns at once; one it does not write is not configured.
  if (present.length === 0)
    return { state: 'skipped', detail: `${types.join(', ')} not reported (not configured on the operator)` };
  return { state: 'done', detail: present.map((c) => c.message || c.reason).join('; ') };
}

function agentsStep(agents: readonly AgentInstance[]): Omit<StepProgress, 'name'> {
  if (agents.length === 0) return { state: 'skipped', detail: 'no agent instances' };
  for (const agent of agents) {
    const name = `${agent.metadata.namespace}/${agent.metadata.name}`;
    if (!observed(agent))
      return { state: 'pending', detail: `waiting for ${name}`, blocker: notObserved('AgentInstance', name) };
    const conditions = agent.status?.conditions ?? [];
    const refused = conditionOf(conditions, 'TenantValid');
    const ready = conditionOf(conditions, 'Ready');
    const failing = refused?.status === 'False' ? refused : ready?.status === 'True' ? undefined : ready;
    if (failing) {
      const state = terminalReasons.has(failing.reason) ? 'failed' : 'pending';
      return {
        state,
        detail: `${name}: ${failing.message}`,
        blocker: blocker('AgentInstance', name, failing),
      };
    }
    if (!ready)
      return { state: 'pending', detail: `waiting for ${name}`, blocker: notObserved('AgentInstance', name) };
  }
  return {
    state: 'done',
    detail: agents
      .map((a) => `${a.metadata.name} ${a.status?.readyReplicas ?? 0}/${a.status?.replicas ?? 0}`)
      .join(', '),
  };
}

/** Every step's state for `tenant` (undefined: not on the cluster yet) and its agents. */
export function assessDeployment(
  tenant: Tenant | undefined,
  agents: readonly AgentInstance[],
): StepProgress[] {
  return deploySteps.map((step) => {
    if (step.name === 'agents') return { name: step.name, ...agentsStep(agents) };
    if (!tenant) return { name: step.name, state: 'pending', detail: 'the Tenant is not on the cluster yet' };
    return { name: step.name, ...tenantStep(tenant, step.conditions) };
  });
}

/** Whether the tenant is Ready for its current generation. */
export function tenantReady(tenant: Tenant | undefined): boolean {
  return Boolean(
    tenant && observed(tenant) && conditionOf(tenant.status?.conditions, 'Ready')?.status === 'True',
  );
}

export const finished = (state: StepState) => state === 'done' || state === 'skipped';
