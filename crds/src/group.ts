/** The API group and version every agentplane resource is served under. */
export const group = 'agentplane.io';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}` as const;

/** Where a resource is served, in the shape client-node's CustomObjectsApi takes. */
export interface ResourceRef {
  group: typeof group;
  version: typeof version;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const tenantResource = {
  group,
  version,
  plural: 'tenants',
  kind: 'Tenant',
  namespaced: false,
} as const satisfies ResourceRef;

export const agentInstanceResource = {
  group,
  version,
  plural: 'agentinstances',
  kind: 'AgentInstance',
  namespaced: true,
} as const satisfies ResourceRef;
