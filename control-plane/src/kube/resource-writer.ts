// The narrow port through which the API writes Tenant and AgentInstance objects to a member
// cluster, and its Kubernetes implementation (server-side apply under one field manager).
import {
  type AgentInstanceSpec,
  agentInstanceResource,
  apiVersion,
  type Tenant,
  type TenantSpec,
  tenantResource,
} from '@agentplane/crds';
import {
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { DomainError, dependencyUnavailable } from '../errors.ts';

/** Where a Tenant's deletion stands on the cluster (on a hub: on every member that holds it). */
export interface TenantRemoval {
  /** A delete was sent, or the object was found terminating already. */
  deleteRequested: boolean;
  /** The Tenant object still exists: the operator's finalizer is cleaning up. */
  present: boolean;
  phase: string | null;
  finalizers: string[];
  /** The operator's `status.deletion.remaining` (on a hub, each prefixed with the member's name). */
  remaining: string[];
  /** The member clusters asked (a hub); empty for a single cluster. */
  clusters: string[];
}

export interface ResourceWriter {
  /** Creates or updates the cluster-scoped Tenant `name`. Idempotent. */
  applyTenant(name: string, spec: TenantSpec): Promise<void>;
  /** Creates or updates AgentInstance `name` where the tenant's agents run. Idempotent. Throws 409 when the tenant has no home yet. */
  applyAgentInstance(tenant: string, name: string, spec: AgentInstanceSpec): Promise<void>;
  /** Deletes it; a missing object is not an error. */
  deleteAgentInstance(tenant: string, name: string): Promise<void>;
  /**
   * Deletes the Tenant `name`, first marking its Vault KV data for destruction
   * (`spec.secrets.deleteOnTenantDeletion`); the operator's finalizer then removes agents, topics,
   * groups and Vault data. Idempotent: a terminating or missing object is fine. Returns what is left.
   */
  deleteTenant(name: string): Promise<TenantRemoval>;
  /** Reads where the deletion of Tenant `name` stands. Writes nothing. */
  tenantRemoval(name: string): Promise<TenantRemoval>;
}

/** The removal state of one Tenant object as read (undefined: it is gone). */
export function removalOf(tenant: Tenant | undefined, deleteRequested: boolean): TenantRemoval {
  if (!tenant)
    return { deleteRequested, present: false, phase: null, finalizers: [], remaining: [], clusters: [] };
  return {
    deleteRequested: deleteRequested || Boolean(tenant.metadata.deletionTimestamp),
    present: true,
    phase: tenant.status?.phase ?? null,
    finalizers: tenant.metadata.finalizers ?? [],
    remaining: tenant.status?.deletion?.remaining ?? [],
    clusters: [],
  };
}

/** The merge patch that asks the operator to destroy the tenant's KV data with it. */
export const eraseVaultData = { spec: { secrets: { deleteOnTenantDeletion: true } } } as const;

const fieldManager = 'agentplane-control-plane';

/** Writes nothing: the API runs without a cluster (KUBECONFIG unset) and the DB stays the record. */
export const noClusterWriter: ResourceWriter = {
  applyTenant: async () => {},
  applyAgentInstance: async () => {},
  deleteAgentInstance: async () => {},
  deleteTenant: async () => removalOf(undefined, false),
  tenantRemoval: async () => removalOf(undefined, false),
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
  const tenantRef = (name: string) => ({ apiVersion, kind: tenantResource.kind, metadata: { name } });
  const readTenant = (name: string): Promise<Tenant | undefined> =>
    api.read(tenantRef(name)).then(
      (object) => object as Tenant,
      (error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw dependencyUnavailable('Kubernetes API', error);
      },
    );
  const ignoreMissing = (error: unknown) => {
    if (statusOf(error) !== 404) throw dependencyUnavailable('Kubernetes API', error);
  };
  const homeOf = async (tenant: string): Promise<string> => {
    const namespace = (await readTenant(tenant))?.status?.home?.namespace;
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
        .catch(ignoreMissing);
    },
    async deleteTenant(name) {
      const live = await readTenant(name);
      if (!live) return removalOf(undefined, false);
      // A merge patch, not an apply: applying only this field would drop the spec fields we own.
      if (!live.spec.secrets?.deleteOnTenantDeletion) {
        const patch: KubernetesObject = { ...tenantRef(name), ...eraseVaultData };
        await api
          .patch(patch, undefined, undefined, fieldManager, undefined, PatchStrategy.MergePatch)
          .catch(ignoreMissing);
      }
      if (!live.metadata.deletionTimestamp) await api.delete(tenantRef(name)).catch(ignoreMissing);
      return removalOf(await readTenant(name), true);
    },
    tenantRemoval: async (name) => removalOf(await readTenant(name), false),
  };
}
