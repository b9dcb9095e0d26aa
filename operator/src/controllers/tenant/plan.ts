import { effectiveTenantSettings, type Isolation, type Tenant, type Tier } from '@agentplane/crds';

/** Where and how a tenant lives, resolved from its spec and its tier's defaults. */
export interface TenantPlan {
  name: string;
  uid: string;
  tier: Tier;
  isolation: Isolation;
  /** The namespace its agents run in: its own when dedicated, the tier's pool when shared. */
  namespace: string;
  owners: string[];
  quota: { cpu: string; memory: string; pods: number };
  /** Per-container defaults and bounds for the tenant's LimitRange. */
  limits: { defaultCpu: string; defaultMemory: string; maxCpu: string; maxMemory: string };
  suspended: boolean;
}

export const labels = {
  tenant: 'agentplane.io/tenant',
  tier: 'agentplane.io/tier',
  pool: 'agentplane.io/pool',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const managedBy = 'agentplane-operator';

export function dedicatedNamespace(tenant: string): string {
  return `tenant-${tenant}`;
}

export function poolNamespace(tier: TenantPlan['tier']): string {
  return `agentplane-pool-${tier}`;
}

/** The ServiceAccount the tenant's runtime pods use, in its home namespace. */
export function runtimeServiceAccount(tenant: string): string {
  return `tenant-${tenant}-runtime`;
}

/** Labels every object made for a tenant carries (selectors and `kubectl get -l` rely on them). */
export function tenantLabels(plan: Pick<TenantPlan, 'name' | 'tier'>): Record<string, string> {
  return { [labels.tenant]: plan.name, [labels.tier]: plan.tier, [labels.managedBy]: managedBy };
}

/**
 * Resolves a Tenant into the plan its home is built from. Pure. Throws InvalidTenantSpecError
 * (from @agentplane/crds) for a spec the tier does not allow, which the API server normally refuses.
 */
export function planTenant(tenant: Tenant): TenantPlan {
  const settings = effectiveTenantSettings(tenant.spec);
  const name = tenant.metadata.name;
  return {
    name,
    uid: tenant.metadata.uid ?? '',
    tier: settings.tier,
    isolation: settings.isolation,
    namespace: settings.isolation === 'dedicated' ? dedicatedNamespace(name) : poolNamespace(settings.tier),
    owners: tenant.spec.owners ?? [],
    quota: { cpu: settings.quota.cpu, memory: settings.quota.memory, pods: settings.quota.pods },
    limits: settings.limits,
    suspended: settings.suspended,
  };
}
