// Moving a tenant when a change of tier or isolation changes its home namespace: the new home is
// built first (by the ordinary steps), each agent gets a copy there, an old agent goes once its copy
// is Ready, and the old home is removed when no agent is left in it. Each call takes the next steps
// that are possible now and says whether the move is finished; it is safe to repeat at any point.
import type { AgentInstance, TenantHome, TenantMove } from '@agentplane/crds';
import type { ObjectWrites } from '../actions.ts';
import type { Desired } from './desired.ts';
import { runtimeServiceAccount, type TenantPlan } from './plan.ts';

export type MoveActions = ObjectWrites;

export interface MoveProgress {
  done: boolean;
  /** For status.moving while not done. */
  step: 'MovingAgents' | 'RemovingOldHome';
}

export const moveFieldManager = 'agentplane-operator-move';

const isReady = (instance: AgentInstance | undefined) =>
  instance?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Takes the next steps of moving the tenant's agents from `from` to the plan's home. */
export async function continueMove(
  from: TenantHome,
  plan: TenantPlan,
  instances: AgentInstance[],
  actions: MoveActions,
  /**
   * The Secrets the operator keeps for the tenant in its home (projected keys, Kafka login, Qdrant
   * token): Secrets are not cached, so a shared old home loses only those named here.
   */
  secrets: readonly string[] = [],
): Promise<MoveProgress> {
  const inOldHome = instances.filter((i) => i.metadata.namespace === from.namespace);
  for (const old of inOldHome) {
    const copy = instances.find(
      (i) => i.metadata.namespace === plan.namespace && i.metadata.name === old.metadata.name,
    );
    // Its own field manager: the copy's spec is the user's, and the agent controller's later apply of
    // the owner reference under the main manager must not take the spec away.
    if (!copy) await actions.apply(copyOf(old, plan.namespace), { fieldManager: moveFieldManager });
    else if (isReady(copy)) await actions.remove(refOf(old));
  }
  if (inOldHome.length > 0) return { done: false, step: 'MovingAgents' };
  for (const leftover of oldHome(from, plan.name, secrets)) await actions.remove(leftover);
  return { done: true, step: 'RemovingOldHome' };
}

export function moveStatus(from: TenantHome, plan: TenantPlan, startedAt: string, step: string): TenantMove {
  return {
    from,
    to: { namespace: plan.namespace, isolation: plan.isolation, tier: plan.tier },
    startedAt,
    step,
  };
}

function copyOf(instance: AgentInstance, namespace: string): Desired {
  const { name, labels, annotations } = instance.metadata;
  return {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: instance.spec,
  };
}

function refOf(instance: AgentInstance) {
  const { name, namespace } = instance.metadata;
  return { apiVersion: 'agentplane.io/v1alpha1', kind: 'AgentInstance', metadata: { name, namespace } };
}

/** What the tenant had in its old home: its own namespace, or its objects in a shared pool. */
function oldHome(from: TenantHome, tenant: string, secrets: readonly string[]) {
  if (from.isolation === 'dedicated')
    return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: from.namespace } }];
  const namespace = from.namespace;
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: runtimeServiceAccount(tenant), namespace },
    },
    { apiVersion: rbac, kind: 'Role', metadata: { name: runtimeServiceAccount(tenant), namespace } },
    { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: runtimeServiceAccount(tenant), namespace } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `tenant-${tenant}-isolation`, namespace },
    },
    ...secrets.map((name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } })),
  ];
}
