// The narrow port through which the API writes Tenant and AgentInstance objects to a member
// cluster, and its Kubernetes implementation (server-side apply under one field manager).
import {
  type AgentInstanceSpec,
  agentInstanceResource,
  apiVersion,
  type TenantSpec,
  tenantResource,
} from '@agentplane/crds';
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { DomainError, dependencyUnavailable } from '../errors.ts';

export interface ResourceWriter {
  /** Creates or updates the cluster-scoped Tenant `name`. Idempotent. */
  applyTenant(name: string, spec: TenantSpec): Promise<void>;
  /** Creates or updates AgentInstance `name` where the tenant's agents run. Idempotent. Throws 409 when the tenant has no home yet. */
  applyAgentInstance(tenant: string, name: string, spec: AgentInstanceSpec): Promise<void>;
  /** Deletes it; a missing object is not an error. */
  deleteAgentInstance(tenant: string, name: string): Promise<void>;
}

const fieldManager = 'agentplane-control-plane';

/** Writes nothing: the API runs without a cluster (KUBECONFIG unset) and the DB stays the record. */
export const noClusterWriter: ResourceWriter = {
  applyTenant: async () => {},
  applyAgentInstance: async () => {},
  deleteAgentInstance: async () => {},
};

function statusOf(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

/** A ResourceWriter for the cluster of `kubeconfigPath`. */
export function createKubeResourceWriter(kubeconfigPath: string): ResourceWriter {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(config);
  const apply = async (object: Record<string, unknown>) => {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: client-node types the body as KubernetesObject
      await api.patch(object as any, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw dependencyUnavailable('Kubernetes API', error);
    }
  };
  const homeOf = async (tenant: string): Promise<string> => {
    const object = await api
      .read({ apiVersion, kind: tenantResource.kind, metadata: { name: tenant } })
      .catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw dependencyUnavailable('Kubernetes API', error);
      });
    const namespace = (object as { status?: { home?: { namespace?: string } } } | undefined)?.status?.home
      ?.namespace;
    if (!namespace) {
      throw new DomainError('conflict', `tenant "${tenant}" has no home yet; retry when it is Ready`, {
        retryAfterSeconds: 10,
      });
    }
    return namespace;
  };
  return {
    applyTenant: (name, spec) => apply({ apiVersion, kind: tenantResource.kind, metadata: { name }, spec }),
    async applyAgentInstance(tenant, name, spec) {
      const namespace = await homeOf(tenant);
      await apply({ apiVersion, kind: agentInstanceResource.kind, metadata: { name, namespace }, spec });
    },
    async deleteAgentInstance(tenant, name) {
      const namespace = await homeOf(tenant).catch(() => undefined);
      if (!namespace) return;
      await api
        .delete({ apiVersion, kind: agentInstanceResource.kind, metadata: { name, namespace } })
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw dependencyUnavailable('Kubernetes API', error);
        });
    },
  };
}
