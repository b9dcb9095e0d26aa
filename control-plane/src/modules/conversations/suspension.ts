// Whether a tenant is suspended on its cluster. An SRE suspends a tenant with
// `kubectl patch tenant <t> --type merge -p '{"spec":{"suspended":true}}'`: the operator scales its
// agents to zero, and the API must refuse its new messages at once, although its own record
// (tenants.suspended) was not written. The Tenant's spec is the SRE's intent, so it is what counts.
import { apiVersion, tenantResource } from '@agentplane/crds';
import type { Logger } from '@agentplane/shared';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

export interface SuspensionCheck {
  /** True when the Tenant resource says `spec.suspended: true`. Never throws. */
  isSuspended(tenant: string): Promise<boolean>;
}

/**
 * Reads Tenant `<t>` on the cluster `kubeconfigPath` reaches, each answer kept `ttlMs` (a burst of
 * messages costs one read). A cluster that cannot be read does not stop messages: the answer is
 * false and a warning is logged (the tenants table still refuses a tenant suspended through the API).
 */
export function createClusterSuspensionCheck(
  kubeconfigPath: string,
  { log, ttlMs = 2000, now = Date.now }: { log: Logger; ttlMs?: number; now?: () => number },
): SuspensionCheck {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(config);
  const cache = new Map<string, { until: number; suspended: Promise<boolean> }>();
  const read = async (tenant: string) => {
    try {
      const object = await api.read({ apiVersion, kind: tenantResource.kind, metadata: { name: tenant } });
      return (object as { spec?: { suspended?: boolean } }).spec?.suspended === true;
    } catch (error) {
      if ((error as { code?: number }).code !== 404)
        log.warn({ err: error, tenant }, 'cannot read the Tenant to check suspension; accepting');
      return false;
    }
  };
  return {
    isSuspended(tenant) {
      const hit = cache.get(tenant);
      if (hit && hit.until > now()) return hit.suspended;
      if (cache.size > 10_000) cache.clear();
      const suspended = read(tenant);
      cache.set(tenant, { until: now() + ttlMs, suspended });
      return suspended;
    },
  };
}
