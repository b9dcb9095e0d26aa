// One naming scheme for everything a tenant owns outside Kubernetes. The operator creates these,
// writes them into status, and the runtime and control plane read them from there; this module is
// the only place that spells them out.
//
//   agentplane.<tenant>.events                     results and usage events of the tenant
//   agentplane.<tenant>.dlq                        dead letters of every agent of the tenant
//   agentplane.<tenant>.agent.<instance>.inbound   messages for one agent instance
//   consumer group agentplane.<tenant>.agent.<instance>
//   Vault: policy and Kubernetes-auth role agentplane-tenant-<tenant>, KV v2 path tenants/<tenant>
//   Qdrant: the shared collection (tenant key `tenant`), or <collection>-<tenant> when dedicated
//
// Tenant names are DNS labels of at most 40 characters, so every name fits Kafka's 249-character
// limit and its [a-zA-Z0-9._-] alphabet; `.` never occurs inside a tenant or instance name, so a
// topic name can be parsed back unambiguously.

const prefix = 'agentplane';

export const topicNames = {
  events: (tenant: string) => `${prefix}.${tenant}.events`,
  deadLetter: (tenant: string) => `${prefix}.${tenant}.dlq`,
  inbound: (tenant: string, instance: string) => `${prefix}.${tenant}.agent.${instance}.inbound`,
  consumerGroup: (tenant: string, instance: string) => `${prefix}.${tenant}.agent.${instance}`,
  /** Every topic of a tenant starts with this (ACL prefixes, clean-up listings). */
  tenantPrefix: (tenant: string) => `${prefix}.${tenant}.`,
};

export const vaultNames = {
  policy: (tenant: string) => `agentplane-tenant-${tenant}`,
  role: (tenant: string) => `agentplane-tenant-${tenant}`,
  defaultPath: (tenant: string) => `tenants/${tenant}`,
};

export type KnowledgeIsolation = 'shared' | 'dedicated';

/**
 * Where a tenant's knowledge lives in Qdrant. Shared tenants are a partition of the shared
 * collection (QDRANT_COLLECTION), keyed by the keyword payload field `tenant` (indexed with
 * `is_tenant`); dedicated tenants have a collection of their own, `<shared collection>-<tenant>`.
 * The operator creates and erases these and gives runtime pods QDRANT_COLLECTION from here; the
 * control plane writes to the same collection by the same rule.
 */
export const knowledgeNames = {
  /** The default of QDRANT_COLLECTION everywhere (runtime, control plane, operator). */
  defaultCollection: 'agentplane_knowledge',
  /** The payload field every point carries with its tenant's id. */
  tenantKey: 'tenant',
  /** The collection holding `tenant`'s points. Pure. */
  collection: (tenant: string, isolation: KnowledgeIsolation, shared: string) =>
    isolation === 'dedicated' ? `${shared}-${tenant}` : shared,
};
