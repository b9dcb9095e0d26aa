// AgentInstance → its workload, after checking it against its Tenant. Level-based and idempotent:
// reads the instance, its tenant and its Deployment from the cache, and writes status once.

import {
  type AgentInstance,
  type AgentInstancePhase,
  type AgentInstanceStatus,
  apiVersion,
  effectiveTenantSettings,
  InvalidTenantSpecError,
  type Tenant,
  tenantVaultPath,
  tierViolation,
} from '@agentplane/crds';
import { knowledgeNames, topicNames, vaultNames } from '@agentplane/shared';
import type { V1Deployment, V1OwnerReference } from '@kubernetes/client-node';
import type { ReconcileResult } from '../../kube/result.ts';
import type { ObjectWrites, StatusWrites } from '../actions.ts';
import type { Desired } from '../tenant/desired.ts';
import { isHibernating } from '../tenant/hibernation.ts';
import { planTenant } from '../tenant/plan.ts';
import { projectedSecretName } from '../tenant/secrets.ts';
import type { ConditionFact } from '../tenant/status.ts';
import type { MessagingSettings, TopicsOutcome } from '../tenant/topics.ts';
import {
  type AgentPlan,
  desiredAutoscaler,
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  type RuntimeDefaults,
} from './desired.ts';
import { type ScalingBound, scalingBound } from './scaling-bound.ts';

export type AgentActions = ObjectWrites &
  StatusWrites<AgentInstance, Omit<AgentInstanceStatus, 'conditions'>> & {
    ensureFinalizer(instance: AgentInstance, finalizer: string): Promise<void>;
    removeFinalizer(instance: AgentInstance, finalizer: string): Promise<void>;
  };

/** Held until the instance's consumers have stopped and its inbound topic is gone. */
export const agentFinalizer = 'agentplane.io/agent-cleanup';

/** While an instance's consumers are still in their group, look again this often. */
export const consumersRequeueMs = 2_000;

/** What deleting an instance needs of Kafka. Errors are thrown (the controller retries with backoff). */
export interface InboundCleanup {
  /** Members of the instance's consumer group now. */
  consumers(tenant: string, instance: string): Promise<number>;
  /** Deletes the instance's inbound topic and its consumer group. */
  remove(tenant: string, instance: string): Promise<void>;
}

export interface AgentReconcileDeps {
  getAgentInstance(namespace: string, name: string): AgentInstance | undefined;
  getTenant(name: string): Tenant | undefined;
  /** Every AgentInstance naming this tenant, in any namespace. */
  instancesOf(tenant: string): AgentInstance[];
  getDeployment(namespace: string, name: string): V1Deployment | undefined;
  /** Makes the instance's inbound topic exist with its tenant's messaging settings. */
  ensureInboundTopic(tenant: string, instance: string, settings: MessagingSettings): Promise<TopicsOutcome>;
  inbound: InboundCleanup;
  runtime: RuntimeDefaults;
  keda: { available: boolean; bootstrapServers: string };
  actions: AgentActions;
}

/** A reason the instance cannot run as written; reported, not retried (the cause must change first). */
interface Refusal {
  reason: string;
  message: string;
}

export async function reconcileAgentInstance(
  key: string,
  deps: AgentReconcileDeps,
): Promise<ReconcileResult> {
  const [namespace = '', name = ''] = key.split('/');
  const instance = deps.getAgentInstance(namespace, name);
  if (!instance) return undefined;
  if (instance.metadata.deletionTimestamp) return finalizeAgent(instance, deps);
  const generation = instance.metadata.generation ?? 0;
  const tenant = deps.getTenant(instance.spec.tenantRef);
  // An instance never outlives its tenant, admitted or not: the garbage collector removes it with
  // the Tenant.
  if (tenant && !tenant.metadata.deletionTimestamp) await deps.actions.apply(ownedByTenant(instance, tenant));

  const admission = tenant ? checkAgainstTenant(instance, tenant, deps) : tenantNotFound(instance);
  if (!tenant || isRefusal(admission)) {
    const why = isRefusal(admission) ? admission : tenantNotFound(instance);
    deps.actions.event(instance, 'Warning', why.reason, why.message);
    await deps.actions.writeStatus(instance, { observedGeneration: generation, phase: 'Failed' }, [
      { type: 'TenantValid', status: 'False', ...why },
      { type: 'Ready', status: 'False', ...why },
    ]);
    return undefined;
  }

  const plan = planAgent(instance, tenant, admission, deps.runtime.knowledgeCollection);
  // The topic about to be created is the operator's to delete with the instance.
  await deps.actions.ensureFinalizer(instance, agentFinalizer);
  // No runtime without its inbound topic: it would only crash-loop.
  const { changed, ...messaging } = await deps.ensureInboundTopic(
    plan.tenant,
    plan.name,
    effectiveTenantSettings(tenant.spec),
  );
  if (changed) deps.actions.event(instance, 'Normal', 'TopicsChanged', changed);
  if (messaging.status !== 'True') {
    deps.actions.event(instance, 'Warning', messaging.reason, messaging.message);
    await deps.actions.writeStatus(instance, { observedGeneration: generation, phase: 'Provisioning' }, [
      messaging,
      { type: 'Ready', status: 'False', reason: messaging.reason, message: messaging.message },
    ]);
    if (messaging.reason === 'KafkaUnavailable') throw new Error(messaging.message);
    return undefined;
  }
  const owner = ownerOf(instance);
  await deps.actions.apply(desiredConfigMap(plan, owner));
  await deps.actions.apply(desiredDeployment(plan, owner, deps.runtime));
  const keda = {
    ...deps.keda,
    topic: topicNames.inbound(plan.tenant, plan.name),
    consumerGroup: topicNames.consumerGroup(plan.tenant, plan.name),
  };
  // Objects the instance may or may not need; whichever it does not is removed.
  const optional: Array<[Desired | undefined, Array<[string, string]>]> = [
    [desiredPodDisruptionBudget(plan, owner), [['policy/v1', 'PodDisruptionBudget']]],
    [
      desiredAutoscaler(plan, owner, keda),
      keda.available
        ? [
            ['autoscaling/v2', 'HorizontalPodAutoscaler'],
            ['keda.sh/v1alpha1', 'ScaledObject'],
          ]
        : [['autoscaling/v2', 'HorizontalPodAutoscaler']],
    ],
  ];
  for (const [desired, kinds] of optional) {
    for (const [objectApiVersion, kind] of kinds) {
      if (desired?.kind === kind) await deps.actions.apply(desired);
      else await deps.actions.remove({ apiVersion: objectApiVersion, kind, metadata: workloadMeta(plan) });
    }
  }

  const deployment = deps.getDeployment(plan.namespace, `agent-${plan.name}`);
  const { phase, conditions: workload } = summarizeAgent(plan, instance, tenant, deployment);
  const conditions = [messaging, ...workload];
  await deps.actions.writeStatus(
    instance,
    {
      observedGeneration: generation,
      phase,
      replicas: deployment?.status?.replicas ?? 0,
      readyReplicas: deployment?.status?.readyReplicas ?? 0,
      selector: `agentplane.io/tenant=${plan.tenant},app.kubernetes.io/instance=${plan.name}`,
      topics: { inbound: keda.topic },
    },
    conditions,
  );
  return undefined;
}

/**
 * Deletion: the workload goes first, the inbound topic (and the group's offsets) once no consumer is
 * left in the group, then the finalizer. A copy of the instance in another namespace (a tenant on the
 * move) still uses the topic, so then only the finalizer goes.
 */
async function finalizeAgent(instance: AgentInstance, deps: AgentReconcileDeps): Promise<ReconcileResult> {
  if (!instance.metadata.finalizers?.includes(agentFinalizer)) return undefined;
  const { name, namespace } = instance.metadata;
  const tenant = instance.spec.tenantRef;
  const copy = deps
    .instancesOf(tenant)
    .some(
      (o) =>
        o.metadata.name === name && o.metadata.uid !== instance.metadata.uid && !o.metadata.deletionTimestamp,
    );
  if (!copy) {
    await deps.actions.remove({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `agent-${name}`, namespace },
    });
    const consumers = await deps.inbound.consumers(tenant, name);
    if (consumers > 0) {
      const message = `waiting for ${consumers} consumer(s) of ${topicNames.inbound(tenant, name)} to stop before deleting it`;
      await deps.actions.writeStatus(instance, { ...statusOf(instance), phase: 'Terminating' }, [
        { type: 'Ready', status: 'False', reason: 'Terminating', message },
      ]);
      return { requeueAfterMs: consumersRequeueMs };
    }
    await deps.inbound.remove(tenant, name);
  }
  await deps.actions.removeFinalizer(instance, agentFinalizer);
  return undefined;
}

function statusOf(instance: AgentInstance): Omit<AgentInstanceStatus, 'conditions'> {
  const { conditions: _conditions, ...rest } = instance.status ?? {};
  return rest;
}

function tenantNotFound(instance: AgentInstance): Refusal {
  return {
    reason: 'TenantNotFound',
    message: `Tenant ${instance.spec.tenantRef} does not exist; create it or fix spec.tenantRef`,
  };
}

/** The tenant exists; may this instance run under it, here, and how far may it scale? */
function checkAgainstTenant(
  instance: AgentInstance,
  tenant: Tenant,
  deps: AgentReconcileDeps,
): Refusal | ScalingBound {
  if (tenant.metadata.deletionTimestamp) {
    return { reason: 'TenantTerminating', message: `Tenant ${tenant.metadata.name} is being deleted` };
  }
  let home: string;
  try {
    home = planTenant(tenant).namespace;
  } catch (error) {
    if (error instanceof InvalidTenantSpecError) return { reason: 'InvalidTenant', message: error.message };
    throw error;
  }
  if (instance.metadata.namespace !== home) {
    return {
      reason: 'WrongNamespace',
      message: `Tenant ${tenant.metadata.name} lives in namespace ${home}; create this AgentInstance there`,
    };
  }
  // The oldest instances keep their places, so adding one over the limit never evicts a running one.
  // Only instances in the tenant's home count: during a move the old copies are on their way out.
  const others = deps
    .instancesOf(tenant.metadata.name)
    .filter((o) => o.metadata.uid !== instance.metadata.uid && o.metadata.namespace === home);
  const older = others.filter((o) => isOlder(o, instance)).sort((a, b) => (isOlder(a, b) ? -1 : 1));
  const settings = effectiveTenantSettings(tenant.spec);
  return (
    tierViolation(settings, instance.spec, older.length) ??
    scalingBound(
      settings,
      older.map((o) => o.spec),
      instance.spec,
      deps.runtime.resources,
    )
  );
}

const isRefusal = (admission: Refusal | ScalingBound): admission is Refusal => 'reason' in admission;

function isOlder(a: AgentInstance, b: AgentInstance): boolean {
  const [ta, tb] = [a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''].map((t) =>
    new Date(t).getTime(),
  ) as [number, number];
  if (ta !== tb) return ta < tb;
  return `${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}`;
}

function planAgent(
  instance: AgentInstance,
  tenant: Tenant,
  bound: ScalingBound,
  sharedCollection: string | undefined,
): AgentPlan {
  const { spec, metadata } = instance;
  // Hibernation scales to zero like a pause: no autoscaler is left to fight it, and waking restores both.
  const heldAtZero = spec.paused === true || tenant.spec.suspended === true || isHibernating(tenant.status);
  const max = bound.maxReplicas;
  return {
    name: metadata.name,
    namespace: metadata.namespace ?? '',
    tenant: tenant.metadata.name,
    tier: tenant.spec.tier,
    agent: spec.agent,
    version: spec.version,
    replicas: heldAtZero ? 0 : Math.min(spec.replicas ?? 1, max),
    ...(bound.capped ? { capped: bound.capped } : {}),
    vault: {
      path: tenantVaultPath(tenant.metadata.name, tenant.spec),
      role: vaultNames.role(tenant.metadata.name),
    },
    ...(tenant.spec.secrets?.projected?.length
      ? { projectedSecret: projectedSecretName(tenant.metadata.name) }
      : {}),
    ...(tenant.status?.knowledge?.tokenExpiresAt
      ? { qdrantTokenExpiresAt: tenant.status.knowledge.tokenExpiresAt }
      : {}),
    ...(tenant.spec.secrets?.projected?.length && tenant.status?.secrets?.rolledOut
      ? { secretsRollout: tenant.status.secrets.rolledOut.versions }
      : {}),
    ...(sharedCollection
      ? {
          knowledgeCollection: knowledgeNames.collection(
            tenant.metadata.name,
            planTenant(tenant).isolation,
            sharedCollection,
          ),
        }
      : {}),
    autoscaling: spec.autoscaling && {
      minReplicas: Math.min(spec.autoscaling.minReplicas ?? 1, max),
      maxReplicas: Math.min(spec.autoscaling.maxReplicas, max),
      targetLag: spec.autoscaling.targetLag ?? 100,
    },
    config: {
      tenant: tenant.metadata.name,
      instance: metadata.name,
      agent: spec.agent,
      version: spec.version,
      tier: tenant.spec.tier,
      model: spec.model ?? {},
      prompt: spec.prompt ?? {},
      knowledge: spec.knowledge ?? { enabled: false },
      topics: {
        inbound: topicNames.inbound(tenant.metadata.name, metadata.name),
        events: topicNames.events(tenant.metadata.name),
        deadLetter: topicNames.deadLetter(tenant.metadata.name),
        consumerGroup: topicNames.consumerGroup(tenant.metadata.name, metadata.name),
      },
    },
  };
}

const workloadMeta = (plan: AgentPlan) => ({ name: `agent-${plan.name}`, namespace: plan.namespace });

function summarizeAgent(
  plan: AgentPlan,
  instance: AgentInstance,
  tenant: Tenant,
  deployment: V1Deployment | undefined,
): { phase: AgentInstancePhase; conditions: ConditionFact[] } {
  const tenantValid: ConditionFact = {
    type: 'TenantValid',
    status: 'True',
    reason: 'Admitted',
    message: `runs for tenant ${plan.tenant} in ${plan.namespace}`,
  };
  const deployed: ConditionFact = {
    type: 'Deployed',
    status: deployment ? 'True' : 'False',
    reason: deployment ? 'DeploymentApplied' : 'DeploymentPending',
    message: deployment ? `Deployment agent-${plan.name}` : 'waiting for the Deployment to appear',
  };
  const ready = deployment?.status?.readyReplicas ?? 0;
  const upToDate = (deployment?.status?.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 1);
  const heldAtZero = plan.replicas === 0;
  // Pods the ReplicaSet cannot create (most often the tenant's or pool's quota) are the SRE's
  // first question when an agent stays unavailable: say it in the condition.
  const failure = deployment?.status?.conditions?.find(
    (c) => c.type === 'ReplicaFailure' && c.status === 'True',
  );
  const available: ConditionFact = heldAtZero
    ? { type: 'Available', status: 'True', reason: 'ScaledToZero', message: zeroReason(instance, tenant) }
    : upToDate && ready >= 1
      ? { type: 'Available', status: 'True', reason: 'ReplicasReady', message: `${ready} replica(s) ready` }
      : failure
        ? {
            type: 'Available',
            status: 'False',
            reason: /exceeded quota/.test(failure.message ?? '') ? 'QuotaExceeded' : 'ReplicaFailure',
            message: failure.message ?? 'the ReplicaSet cannot create pods',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'ReplicasNotReady',
            message: `${ready} replica(s) ready`,
          };
  const allTrue = [deployed, available].every((c) => c.status === 'True');
  const readyCondition: ConditionFact = allTrue
    ? { type: 'Ready', status: 'True', reason: available.reason, message: available.message }
    : {
        type: 'Ready',
        status: 'False',
        reason: deployed.status === 'True' ? available.reason : deployed.reason,
        message: `${deployed.message}; ${available.message}`,
      };
  const phase: AgentInstancePhase = !allTrue
    ? 'Provisioning'
    : tenant.spec.suspended
      ? 'Suspended'
      : instance.spec.paused
        ? 'Paused'
        : isHibernating(tenant.status)
          ? 'Hibernating'
          : 'Ready';
  const scaling: ConditionFact = plan.capped
    ? { type: 'Scaling', status: 'False', reason: 'Capped', message: plan.capped }
    : {
        type: 'Scaling',
        status: 'True',
        reason: 'WithinLimits',
        message: 'as asked, within the tier and the quota',
      };
  return { phase, conditions: [tenantValid, deployed, available, scaling, readyCondition] };
}

function zeroReason(instance: AgentInstance, tenant: Tenant): string {
  if (tenant.spec.suspended) return `tenant ${tenant.metadata.name} is suspended`;
  if (instance.spec.paused || !isHibernating(tenant.status)) return 'paused: spec.paused is true';
  const since = tenant.status?.hibernation?.idleSince;
  return `tenant ${tenant.metadata.name} is hibernating (no inbound message since ${since ?? 'its idle window'}); the next message wakes it`;
}

function ownerOf(instance: AgentInstance): V1OwnerReference {
  return {
    apiVersion,
    kind: 'AgentInstance',
    name: instance.metadata.name,
    uid: instance.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The instance's own metadata, naming the Tenant as owner (not controller: the user owns the spec). */
function ownedByTenant(instance: AgentInstance, tenant: Tenant): Desired {
  return {
    apiVersion,
    kind: 'AgentInstance',
    metadata: {
      name: instance.metadata.name,
      namespace: instance.metadata.namespace,
      ownerReferences: [
        {
          apiVersion,
          kind: 'Tenant',
          name: tenant.metadata.name,
          uid: tenant.metadata.uid ?? '',
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}
