// Wires reconcileTenant to the manager: Tenants are the primary resource; the objects of a tenant's
// home map back to it through their owner reference, and AgentInstances through spec.tenantRef
// (their count is in the status).
import { type AgentInstance, type Tenant, tenantVaultPath } from '@agentplane/crds';
import { type Logger, topicNames } from '@agentplane/shared';
import { watch } from '../../kube/controller.ts';
import type { Manager } from '../../kube/manager.ts';
import { toOwner } from '../../kube/owner.ts';
import { generationChanged, metadataChanged, or } from '../../kube/predicates.ts';
import type { KubeObject } from '../../kube/resource.ts';
import type { TopicAdmin } from '../../messaging/kafka-admin.ts';
import type { OffsetReader } from '../../messaging/offsets.ts';
import type { TenantVault } from '../../vault/tenant-vault.ts';
import type { World } from '../world.ts';
import type { PlatformEgress } from './desired.ts';
import { createActivityWatch } from './hibernation-activity.ts';
import type { KafkaPrincipalPort } from './kafka-principal.ts';
import { eraseKnowledge, type KnowledgeSettings } from './knowledge.ts';
import { runtimeServiceAccount, type TenantPlan } from './plan.ts';
import { reconcileTenant } from './reconcile.ts';
import { deleteTenantTopics, desiredTenantTopics, ensureTopics } from './topics.ts';

export interface TenantControllerSettings {
  topics: TopicAdmin;
  /** Absent: Vault is not configured and tenants get no SecretsReady condition. */
  vault?: TenantVault;
  /** Absent: Kafka has no SASL configured; no tenant gets a principal of its own. */
  kafkaPrincipal?: KafkaPrincipalPort;
  /** Absent: Qdrant is not configured (KnowledgeReady says so) and deletion erases no knowledge. */
  knowledge?: KnowledgeSettings;
  concurrency: number;
  egress: PlatformEgress[];
  poolQuota: TenantPlan['quota'];
  /** How often tenants that declare Vault keys are checked again. */
  secretsRefreshMs: number;
  /** At most one rollout of a tenant's agents for new secret versions per this window. */
  secretsRolloutWindowMs: number;
  /** Absent: no tenant hibernates. */
  hibernation?: {
    offsets: OffsetReader;
    /** How often the inbound offsets are read. */
    pollMs: number;
    /** The idle window of tenants without spec.hibernation.idleAfter. */
    defaultIdleMs: number;
    log: Logger;
  };
}

/** An agent's phase changed: a waking tenant finishes its wake when every agent is Ready again. */
const phaseChanged = (event: { type: string; old?: AgentInstance; object: AgentInstance }) =>
  event.type !== 'update' || event.old?.status?.phase !== event.object.status?.phase;

export function addTenantController(manager: Manager, world: World, settings: TenantControllerSettings) {
  const { tenants, agentInstances, children } = world;
  const { vault, knowledge } = settings;
  const owned = [
    'Namespace',
    'ResourceQuota',
    'LimitRange',
    'ServiceAccount',
    'NetworkPolicy',
    'Role',
    'RoleBinding',
  ];
  const toTenant = toOwner({ kind: 'Tenant', group: 'agentplane.io', namespaced: false });
  const instancesOf = (tenant: string) => agentInstances.byIndex('tenant', tenant);
  const sleep = settings.hibernation;
  const activity =
    sleep &&
    createActivityWatch({
      listTenants: () => tenants.list(),
      agentInstancesOf: instancesOf,
      offsets: sleep.offsets,
      intervalMs: sleep.pollMs,
      defaultIdleMs: sleep.defaultIdleMs,
      log: sleep.log.child({ controller: 'tenant', watch: 'inbound-offsets' }),
    });
  return manager.controller({
    name: 'tenant',
    concurrency: settings.concurrency,
    logFields: (key) => ({ tenant: key }),
    watches: [
      watch(tenants, { predicate: or(generationChanged, metadataChanged) }),
      ...owned.flatMap((kind) => {
        const informer = children.get(kind);
        return informer ? [watch<KubeObject>(informer, { mapToKeys: toTenant })] : [];
      }),
      watch(agentInstances, {
        mapToKeys: (ai) => [ai.spec.tenantRef],
        predicate: (event) => event.type !== 'update' || (activity !== undefined && phaseChanged(event)),
      }),
      ...(activity ? [activity] : []),
    ],
    reconcile: (key) =>
      reconcileTenant(key, {
        getTenant: (name) => tenants.get(name),
        agentInstancesOf: instancesOf,
        runtimeObjectNames: (tenant) =>
          agentInstances.byIndex('tenant', tenant).map((ai) => `agent-${ai.metadata.name}-config`),
        cleanups: [
          {
            what: 'Kafka topics and consumer groups',
            run: async (tenant) => {
              await deleteTenantTopics(tenant.metadata.name, settings.topics);
            },
          },
          ...(settings.kafkaPrincipal
            ? [
                {
                  what: 'Kafka principal, ACLs and quotas',
                  run: async (tenant: Tenant) => {
                    await settings.kafkaPrincipal?.remove(
                      tenant.metadata.name,
                      tenantVaultPath(tenant.metadata.name, tenant.spec),
                    );
                  },
                },
              ]
            : []),
          ...(knowledge
            ? [
                {
                  what: 'knowledge points in Qdrant',
                  run: async (tenant: Tenant) => ({
                    knowledge: await eraseKnowledge(
                      tenant.metadata.name,
                      tenant.status?.knowledge?.isolation ?? tenant.status?.home?.isolation ?? 'shared',
                      knowledge,
                      new Date(),
                    ),
                  }),
                },
              ]
            : []),
          ...(vault
            ? [
                {
                  what: 'Vault policy and role',
                  run: (tenant: Tenant) => vault.deleteTenant(tenant.metadata.name),
                },
                {
                  what: 'Vault KV data',
                  run: async (tenant: Tenant) => {
                    if (!tenant.spec.secrets?.deleteOnTenantDeletion) return;
                    await vault.deleteSecrets(tenantVaultPath(tenant.metadata.name, tenant.spec));
                  },
                },
              ]
            : []),
        ],
        ...(vault
          ? {
              secrets: {
                kvMount: vault.kvMount,
                readSecret: (path: string) => vault.readSecret(path),
                ensureAccess: (plan: TenantPlan, path: string, namespaces: string[]) =>
                  vault.ensureTenant({
                    tenant: plan.name,
                    namespaces,
                    serviceAccount: runtimeServiceAccount(plan.name),
                    path,
                  }),
              },
            }
          : {}),
        ...(knowledge ? { knowledge } : {}),
        secretsRefreshMs: settings.secretsRefreshMs,
        secretsRolloutWindowMs: settings.secretsRolloutWindowMs,
        ...(settings.kafkaPrincipal ? { kafkaPrincipal: settings.kafkaPrincipal } : {}),
        ensureTenantTopics: (tenant, messaging) =>
          ensureTopics(desiredTenantTopics(tenant, messaging), settings.topics),
        egress: settings.egress,
        poolQuota: settings.poolQuota,
        ...(sleep && activity
          ? {
              hibernation: {
                observation: (tenant: string) => activity.observation(tenant),
                lag: async (tenant: string, instances: AgentInstance[]) => {
                  let lag = 0;
                  for (const name of new Set(instances.map((ai) => ai.metadata.name)))
                    lag += await sleep.offsets.lag(topicNames.consumerGroup(tenant, name), [
                      topicNames.inbound(tenant, name),
                    ]);
                  return lag;
                },
                defaultIdleMs: sleep.defaultIdleMs,
              },
            }
          : {}),
        actions: world,
      }),
  });
}
