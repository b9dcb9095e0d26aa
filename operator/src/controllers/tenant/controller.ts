// Wires reconcileTenant to the manager: Tenants are the primary resource; the objects of a tenant's
// home map back to it through their owner reference, and AgentInstances through spec.tenantRef
// (their count is in the status).
import { type Tenant, tenantVaultPath } from '@agentplane/crds';
import { watch } from '../../kube/controller.ts';
import type { Manager } from '../../kube/manager.ts';
import { toOwner } from '../../kube/owner.ts';
import { generationChanged, metadataChanged, or } from '../../kube/predicates.ts';
import type { KubeObject } from '../../kube/resource.ts';
import type { TopicAdmin } from '../../messaging/kafka-admin.ts';
import type { TenantVault } from '../../vault/tenant-vault.ts';
import type { World } from '../world.ts';
import type { PlatformEgress } from './desired.ts';
import { runtimeServiceAccount, type TenantPlan } from './plan.ts';
import { reconcileTenant } from './reconcile.ts';
import { deleteTenantTopics, desiredTenantTopics, ensureTopics } from './topics.ts';

export interface TenantControllerSettings {
  topics: TopicAdmin;
  /** Absent: Vault is not configured and tenants get no SecretsReady condition. */
  vault?: TenantVault;
  concurrency: number;
  egress: PlatformEgress[];
  poolQuota: TenantPlan['quota'];
  /** How often tenants that declare Vault keys are checked again. */
  secretsRefreshMs: number;
  /** At most one rollout of a tenant's agents for new secret versions per this window. */
  secretsRolloutWindowMs: number;
}

export function addTenantController(manager: Manager, world: World, settings: TenantControllerSettings) {
  const { tenants, agentInstances, children } = world;
  const { vault } = settings;
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
        predicate: (event) => event.type !== 'update',
      }),
    ],
    reconcile: (key) =>
      reconcileTenant(key, {
        getTenant: (name) => tenants.get(name),
        agentInstancesOf: (tenant) => agentInstances.byIndex('tenant', tenant),
        runtimeObjectNames: (tenant) =>
          agentInstances.byIndex('tenant', tenant).map((ai) => `agent-${ai.metadata.name}-config`),
        cleanups: [
          {
            what: 'Kafka topics and consumer groups',
            run: async (tenant) => {
              await deleteTenantTopics(tenant.metadata.name, settings.topics);
            },
          },
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
        secretsRefreshMs: settings.secretsRefreshMs,
        secretsRolloutWindowMs: settings.secretsRolloutWindowMs,
        ensureTenantTopics: (tenant, messaging) =>
          ensureTopics(desiredTenantTopics(tenant, messaging), settings.topics),
        egress: settings.egress,
        poolQuota: settings.poolQuota,
        actions: world,
      }),
  });
}
