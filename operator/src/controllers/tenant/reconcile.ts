// Tenant → its home: namespace (own or pool), quota and limits, network isolation, runtime identity,
// Kafka topics, Vault access, its knowledge partition in Qdrant.
// Level-based: reads the Tenant from the cache, makes each fact true, writes status once at the end.

import {
  type AgentInstance,
  apiVersion,
  effectiveTenantSettings,
  InvalidTenantSpecError,
  type Tenant,
  type TenantHibernationStatus,
  type TenantKnowledgeErasure,
  type TenantStatus,
  tenantVaultPath,
} from '@agentplane/crds';
import { topicNames } from '@agentplane/shared';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { ReconcileResult } from '../../kube/result.ts';
import type { ObjectWrites, StatusWrites } from '../actions.ts';
import {
  type Desired,
  desiredLimitRange,
  desiredNamespace,
  desiredNetworkPolicy,
  desiredOwnersRoleBinding,
  desiredQuota,
  desiredRuntimeRole,
  desiredRuntimeRoleBinding,
  desiredServiceAccount,
  type PlatformEgress,
} from './desired.ts';
import {
  agentReadiness,
  decideHibernation,
  type HibernationInput,
  type OffsetsObservation,
} from './hibernation.ts';
import { type KafkaPrincipalPort, kafkaPrincipalStep, kafkaSecretName } from './kafka-principal.ts';
import {
  ensureKnowledgePartition,
  erasureMessage,
  type KnowledgeSettings,
  type KnowledgeStep,
  knowledgeNotConfigured,
  mergeErasure,
  qdrantSecretName,
  qdrantTokenStep,
} from './knowledge.ts';
import { continueMove, moveStatus } from './move.ts';
import { labels, managedBy, planTenant, type TenantPlan } from './plan.ts';
import {
  ensureTenantSecrets,
  neededKeys,
  projectedSecretName,
  type SecretsStep,
  type TenantSecretsPort,
} from './secrets.ts';
import { type StepOutcome, summarizeTenant } from './status.ts';
import type { MessagingSettings, TopicsOutcome } from './topics.ts';

export const tenantFinalizer = 'agentplane.io/tenant-cleanup';

/** What the reconcile may do to the world; the controller wires these to the API server. */
export interface TenantActions extends ObjectWrites, StatusWrites<Tenant, Omit<TenantStatus, 'conditions'>> {
  ensureFinalizer(tenant: Tenant, finalizer: string): Promise<void>;
  removeFinalizer(tenant: Tenant, finalizer: string): Promise<void>;
}

export interface TenantReconcileDeps {
  getTenant(name: string): Tenant | undefined;
  /** Every AgentInstance naming this tenant, in any namespace. */
  agentInstancesOf(tenant: string): AgentInstance[];
  /** Names of ConfigMaps/Secrets the tenant's runtime may read (its agents' config). */
  runtimeObjectNames(tenant: string): string[];
  /** Clean-ups outside Kubernetes that deletion must finish, in order, before the namespace goes. */
  cleanups: TenantCleanup[];
  /** The tenant's Vault policy, role and keys (the SecretsReady step); absent when Vault is not configured. */
  secrets?: TenantSecretsPort;
  /** How often a tenant that declares Vault keys is looked at again (Vault cannot be watched). */
  secretsRefreshMs: number;
  /** At most one rollout of a tenant's agents for new secret versions per this window. */
  secretsRolloutWindowMs: number;
  /** The clock (tests set it). */
  now?: () => Date;
  /** The tenant's own SASL principal (KafkaPrincipalReady); absent: Kafka has no SASL, no condition. */
  kafkaPrincipal?: KafkaPrincipalPort;
  /** Makes the tenant's events and dead-letter topics exist as specified (the MessagingReady step). */
  ensureTenantTopics(tenant: string, settings: MessagingSettings): Promise<TopicsOutcome>;
  egress: PlatformEgress[];
  /** The quota of each tier's shared pool namespace. */
  poolQuota: TenantPlan['quota'];
  /** Absent: no tenant hibernates (and status.hibernation is not written). */
  hibernation?: TenantHibernationPort;
  /** The operator's Qdrant (the KnowledgeReady step); absent: KnowledgeReady says not configured. */
  knowledge?: KnowledgeSettings;
  actions: TenantActions;
}

/** What the hibernation step needs: the polled offsets, and the agents' lag when it is about to sleep. */
export interface TenantHibernationPort {
  /** The last observation of the tenant's inbound offsets (no Kafka call). */
  observation(tenant: string): OffsetsObservation | undefined;
  /** Records of the tenant's inbound topics its agents have not consumed. Throws when Kafka fails. */
  lag(tenant: string, instances: AgentInstance[]): Promise<number>;
  /** OPERATOR_HIBERNATION_IDLE in milliseconds. */
  defaultIdleMs: number;
}

export interface TenantCleanup {
  /** What it removes, for status.deletion.remaining, e.g. "Kafka topics". */
  what: string;
  /** Removes it (idempotent); may report what it erased, for status.deletion. */
  // biome-ignore lint/suspicious/noConfusingVoidType: most clean-ups report nothing and return void
  run(tenant: Tenant): Promise<CleanupReport | void>;
}

/** What a clean-up proves it removed. */
export interface CleanupReport {
  knowledge?: TenantKnowledgeErasure;
}

/** While a tenant moves, look again this often: the agents' readiness is not a tenant event. */
export const moveRequeueMs = 2_000;

export async function reconcileTenant(name: string, deps: TenantReconcileDeps): Promise<ReconcileResult> {
  const tenant = deps.getTenant(name);
  if (!tenant) return undefined; // gone: owner references let the garbage collector remove its children
  if (tenant.metadata.deletionTimestamp) return finalizeTenant(tenant, deps);
  await deps.actions.ensureFinalizer(tenant, tenantFinalizer);
  // One instant for every time-based decision of this reconcile (rollout window, token window).
  const now = (deps.now ?? (() => new Date()))();

  let plan: TenantPlan;
  try {
    plan = planTenant(tenant);
  } catch (error) {
    if (!(error instanceof InvalidTenantSpecError)) throw error;
    const invalid: StepOutcome = {
      type: 'Ready',
      status: 'False',
      reason: 'InvalidSpec',
      message: error.message,
    };
    deps.actions.event(tenant, 'Warning', 'InvalidSpec', error.message);
    await deps.actions.writeStatus(tenant, { observedGeneration: generation(tenant), phase: 'Degraded' }, [
      invalid,
    ]);
    return undefined;
  }

  const owner = ownerOf(tenant);
  const meta = { namespace: plan.namespace, ownerReferences: [owner] };
  const failures: Error[] = [];
  const step = async (type: string, reason: string, message: string, objects: Array<Desired | undefined>) => {
    try {
      for (const object of objects) if (object) await deps.actions.apply(object);
      return { type, status: 'True', reason, message } satisfies StepOutcome;
    } catch (error) {
      failures.push(error as Error);
      deps.actions.event(tenant, 'Warning', `${type}Failed`, (error as Error).message);
      return {
        type,
        status: 'False',
        reason: 'ApplyFailed',
        message: (error as Error).message,
      } satisfies StepOutcome;
    }
  };

  // Kafka is outside the cluster: when it is down the tenant's Kubernetes home is still kept, and
  // the reconcile is retried with backoff; a refusal (e.g. shrinking partitions) waits for the spec.
  const messagingStep = async (): Promise<StepOutcome> => {
    const { changed, ...outcome } = await deps.ensureTenantTopics(
      plan.name,
      effectiveTenantSettings(tenant.spec),
    );
    if (changed) deps.actions.event(tenant, 'Normal', 'TopicsChanged', changed);
    if (outcome.status !== 'True') {
      deps.actions.event(tenant, 'Warning', outcome.reason, outcome.message);
      if (outcome.reason === 'KafkaUnavailable') failures.push(new Error(outcome.message));
    }
    return outcome;
  };

  // Like Kafka: Vault down keeps the rest of the tenant working and the reconcile is retried. A
  // missing key waits for an SRE to write it: looked at again on the refresh interval, no backoff.
  let secretsStatus: SecretsStep['status'] | undefined;
  let rolloutDueMs: number | undefined;
  const secretsStep = async (port: TenantSecretsPort): Promise<StepOutcome> => {
    try {
      // While the tenant moves, its runtime runs in both homes and both may log in.
      const namespaces = [...new Set([plan.namespace, previous?.namespace ?? plan.namespace])];
      const { outcome, status, requeueAfterMs } = await ensureTenantSecrets(
        plan,
        tenant,
        port,
        deps.actions,
        owner,
        namespaces,
        { windowMs: deps.secretsRolloutWindowMs, now },
      );
      secretsStatus = status;
      rolloutDueMs = requeueAfterMs;
      if (outcome.status !== 'True') {
        deps.actions.event(tenant, 'Warning', outcome.reason, outcome.message);
        if (outcome.reason === 'VaultUnavailable') failures.push(new Error(outcome.message));
      }
      return outcome;
    } catch (error) {
      failures.push(error as Error);
      deps.actions.event(tenant, 'Warning', 'SecretsReadyFailed', (error as Error).message);
      return {
        type: 'SecretsReady',
        status: 'False',
        reason: 'ApplyFailed',
        message: (error as Error).message,
      };
    }
  };

  // Like Kafka: Qdrant down keeps the rest of the tenant working and the reconcile is retried.
  let knowledge: KnowledgeStep | undefined;
  let tokenRenewalMs: number | undefined;
  const knowledgeStep = async (settings: KnowledgeSettings): Promise<StepOutcome> => {
    knowledge = await ensureKnowledgePartition(plan, settings);
    // The pods' token needs no Qdrant call: it is written even while Qdrant is down.
    const token = settings.access
      ? await qdrantTokenStep(
          plan,
          owner,
          knowledge.status.collection,
          settings.access,
          now,
          (object) => deps.actions.apply(object),
          failures,
        )
      : undefined;
    tokenRenewalMs = token?.renewInMs;
    // Recorded only once the Secret holds the token: the agents roll on it (agent-instance plan).
    if (token?.expiresAt) knowledge.status = { ...knowledge.status, tokenExpiresAt: token.expiresAt };
    const outcome = token?.failed ?? knowledge.outcome;
    if (outcome.status !== 'True') {
      deps.actions.event(tenant, 'Warning', outcome.reason, outcome.message);
      if (outcome.reason === 'QdrantUnavailable') failures.push(new Error(outcome.message));
    }
    return outcome;
  };

  const previous = tenant.status?.home;
  const dedicated = plan.isolation === 'dedicated';
  const steps = [
    await step('NamespaceReady', dedicated ? 'Dedicated' : 'SharedPool', `home namespace ${plan.namespace}`, [
      dedicated ? desiredNamespace(plan, owner) : poolNamespace(plan),
      desiredServiceAccount(plan, meta),
      desiredRuntimeRole(plan, meta, [
        ...deps.runtimeObjectNames(plan.name),
        ...(tenant.spec.secrets?.projected?.length ? [projectedSecretName(plan.name)] : []),
      ]),
      desiredRuntimeRoleBinding(plan, meta),
      desiredOwnersRoleBinding(plan, meta),
    ]),
    await step(
      'QuotaApplied',
      dedicated ? 'TenantQuota' : 'PoolQuota',
      dedicated
        ? `cpu ${plan.quota.cpu}, memory ${plan.quota.memory}, pods ${plan.quota.pods}`
        : `the ${plan.tier} pool's quota applies`,
      dedicated
        ? [desiredQuota(plan, meta), desiredLimitRange(plan, meta)]
        : [
            asPoolObject(desiredQuota({ ...plan, quota: deps.poolQuota }, poolMeta(plan)), plan),
            asPoolObject(desiredLimitRange(plan, poolMeta(plan)), plan),
          ],
    ),
    await step('NetworkIsolated', 'DefaultDeny', 'default-deny with platform egress only', [
      desiredNetworkPolicy(plan, meta, deps.egress),
    ]),
    await messagingStep(),
    ...(deps.kafkaPrincipal
      ? [
          await kafkaPrincipalStep(
            deps.kafkaPrincipal,
            plan,
            tenantVaultPath(plan.name, tenant.spec),
            owner,
            (object) => deps.actions.apply(object),
            failures,
          ),
        ]
      : []),
    ...(deps.secrets ? [await secretsStep(deps.secrets)] : []),
    deps.knowledge ? await knowledgeStep(deps.knowledge) : knowledgeNotConfigured,
  ];

  // A new tier or isolation can mean a new home: move there once it is built.
  const moving = previous !== undefined && previous.namespace !== plan.namespace;
  const built = failures.length === 0;
  const progress =
    moving && built
      ? await continueMove(
          previous,
          plan,
          deps.agentInstancesOf(plan.name),
          deps.actions,
          [
            tenant.status?.secrets?.projectedSecret,
            deps.kafkaPrincipal ? kafkaSecretName(plan.name) : undefined,
            deps.knowledge?.access ? qdrantSecretName(plan.name) : undefined,
          ].filter((name) => name !== undefined),
        )
      : undefined;
  const stillMoving = moving && !progress?.done;
  if (moving && progress?.done)
    deps.actions.event(tenant, 'Normal', 'Moved', `moved from ${previous.namespace} to ${plan.namespace}`);

  const hibernation = deps.hibernation
    ? await hibernationStep(tenant, deps, deps.hibernation, failures, now)
    : undefined;
  const { phase, conditions } = summarizeTenant(steps, {
    suspended: plan.suspended,
    moving: stillMoving,
    ...(hibernation ? { hibernation: hibernation.state } : {}),
  });
  const home = stillMoving
    ? previous
    : { namespace: plan.namespace, isolation: plan.isolation, tier: plan.tier };
  const startedAt = tenant.status?.moving?.startedAt ?? new Date().toISOString();
  await deps.actions.writeStatus(
    tenant,
    {
      observedGeneration: generation(tenant),
      phase,
      namespace: home.namespace,
      home,
      ...(stillMoving
        ? { moving: moveStatus(previous, plan, startedAt, progress?.step ?? 'BuildingNewHome') }
        : {}),
      topics: { events: topicNames.events(plan.name), deadLetter: topicNames.deadLetter(plan.name) },
      ...(secretsStatus ? { secrets: secretsStatus } : {}),
      ...(hibernation ? { hibernation } : {}),
      ...(knowledge ? { knowledge: knowledge.status } : {}),
      agentInstances: deps.agentInstancesOf(plan.name).length,
    },
    conditions,
  );
  if (failures.length > 0)
    throw new AggregateError(failures, `tenant ${name}: ${failures.length} step(s) failed`);
  const lookAgain = [
    // Once more after the move: Vault access is then narrowed to the new home alone.
    moving ? moveRequeueMs : undefined,
    deps.secrets && neededKeys(tenant.spec.secrets).length > 0 ? deps.secretsRefreshMs : undefined,
    rolloutDueMs,
    tokenRenewalMs,
  ].filter((ms) => ms !== undefined);
  return lookAgain.length > 0 ? { requeueAfterMs: Math.min(...lookAgain) } : undefined;
}

/**
 * Decides status.hibernation from the polled offsets (the lag is read only when the tenant is about to
 * sleep) and records a transition as an Event. A failed lag read keeps the tenant awake and is retried.
 */
async function hibernationStep(
  tenant: Tenant,
  deps: TenantReconcileDeps,
  port: TenantHibernationPort,
  failures: Error[],
  now: Date,
): Promise<TenantHibernationStatus> {
  const name = tenant.metadata.name;
  const instances = deps.agentInstancesOf(name);
  const input: HibernationInput = {
    settings: effectiveTenantSettings(tenant.spec),
    previous: tenant.status?.hibernation,
    observed: port.observation(name),
    agents: agentReadiness(instances),
    defaultIdleMs: port.defaultIdleMs,
    now,
  };
  let decision = decideHibernation(input);
  if (decision.needsLag) {
    try {
      decision = decideHibernation({ ...input, lag: await port.lag(name, instances) });
    } catch (error) {
      failures.push(error as Error);
    }
  }
  if (decision.event) deps.actions.event(tenant, 'Normal', decision.event.reason, decision.event.message);
  return decision.status;
}

/**
 * Deletion, in order: the tenant's AgentInstances (each stops its consumers and removes its inbound
 * topic), then each clean-up outside Kubernetes, then the finalizer, after which the garbage
 * collector removes the namespace and everything else the Tenant owns. Progress is in status; every
 * step is safe to repeat, so an operator restart half-way simply carries on.
 */
async function finalizeTenant(tenant: Tenant, deps: TenantReconcileDeps): Promise<ReconcileResult> {
  if (!tenant.metadata.finalizers?.includes(tenantFinalizer)) return undefined;
  const agents = deps.agentInstancesOf(tenant.metadata.name);
  for (const agent of agents) {
    if (agent.metadata.deletionTimestamp) continue;
    const { name, namespace } = agent.metadata;
    await deps.actions.remove({ apiVersion, kind: 'AgentInstance', metadata: { name, namespace } });
  }
  const remaining: string[] = [];
  const failures: Error[] = [];
  const reported = tenant.status?.deletion?.knowledge;
  let knowledge = reported;
  if (agents.length > 0) {
    const names = agents.map((a) => `${a.metadata.namespace}/${a.metadata.name}`).join(', ');
    remaining.push(`${agents.length} AgentInstance(s) stopping: ${names}`);
  } else {
    for (const cleanup of deps.cleanups) {
      try {
        const report = await cleanup.run(tenant);
        if (report?.knowledge) knowledge = mergeErasure(knowledge, report.knowledge);
      } catch (error) {
        failures.push(error as Error);
        remaining.push(`${cleanup.what} (${(error as Error).message})`);
      }
    }
  }
  // A retried deletion erases again; only points erased this time change the report.
  const erased = knowledge !== undefined && JSON.stringify(knowledge) !== JSON.stringify(reported);
  if (knowledge && erased)
    deps.actions.event(tenant, 'Normal', 'KnowledgeErased', erasureMessage(tenant.metadata.name, knowledge));
  if (remaining.length === 0 && !erased) {
    await deps.actions.removeFinalizer(tenant, tenantFinalizer);
    return undefined;
  }
  const { conditions: _conditions, ...status } = tenant.status ?? {};
  // The deletion report is written before the finalizer goes, so it is in status (and the Event)
  // while the Tenant is still there; the finalizer is then removed from the object just written.
  const version = await deps.actions.writeStatus(
    tenant,
    { ...status, phase: 'Terminating', deletion: { remaining, ...(knowledge ? { knowledge } : {}) } },
    [
      {
        type: 'Ready',
        status: 'False',
        reason: 'Terminating',
        message:
          remaining.length > 0
            ? `deleting; still to remove: ${remaining.join('; ')}`
            : 'deleting; everything outside Kubernetes is removed',
      },
    ],
  );
  if (remaining.length === 0) {
    const written = version
      ? { ...tenant, metadata: { ...tenant.metadata, resourceVersion: version } }
      : tenant;
    await deps.actions.removeFinalizer(written, tenantFinalizer);
    return undefined;
  }
  if (failures.length > 0) {
    deps.actions.event(tenant, 'Warning', 'CleanupFailed', remaining.join('; '));
    throw new AggregateError(
      failures,
      `tenant ${tenant.metadata.name}: ${failures.length} clean-up(s) failed`,
    );
  }
  // Agents leaving are watched, but look again in case one is stuck.
  return { requeueAfterMs: moveRequeueMs };
}

function ownerOf(tenant: Tenant): V1OwnerReference {
  return {
    apiVersion,
    kind: 'Tenant',
    name: tenant.metadata.name,
    uid: tenant.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

const generation = (tenant: Tenant) => tenant.metadata.generation ?? 0;

/** A tier's pool belongs to no tenant: it outlives each of them. */
function poolNamespace(plan: TenantPlan): Desired {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: plan.namespace, labels: poolLabels(plan) },
  };
}

const poolMeta = (plan: TenantPlan) => ({ namespace: plan.namespace, ownerReferences: [] });

const poolLabels = (plan: TenantPlan) => ({
  [labels.tier]: plan.tier,
  [labels.pool]: plan.tier,
  [labels.managedBy]: managedBy,
});

/** Pool-wide objects carry the pool's name and labels, not a tenant's. */
function asPoolObject(object: Desired, plan: TenantPlan): Desired {
  return { ...object, metadata: { ...object.metadata, name: 'agentplane-pool', labels: poolLabels(plan) } };
}
