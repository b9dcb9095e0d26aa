// What the hub states on a member, as pure builders from the database rows: the Tenant and its
// AgentInstances with the fields the hub owns (spec and two labels), applied under one field manager
// so the fields an SRE or the operator set stay theirs.
import { createHash } from 'node:crypto';
import {
  type AgentInstance,
  type AgentInstanceSpec,
  apiVersion,
  type Tenant,
  type TenantSpec,
} from '@agentplane/crds';
import type { KubeObject } from '@agentplane/operator/kube';
import type { AgentInstance as AgentInstanceRow, Tenant as TenantRow } from '../db/entities.ts';
import { specOf } from '../modules/agent-instances/agent-instances.service.ts';
import { canonicalJson } from '../modules/audit/audit.service.ts';

/** The hub's server-side-apply field manager on every member. */
export const hubFieldManager = 'agentplane-hub';

/** Every object the hub writes carries these; its informers watch only such objects. */
export const hubLabels = { placedBy: 'agentplane.io/placed-by', tenant: 'agentplane.io/tenant' } as const;
export const hubSelector = `${hubLabels.placedBy}=${hubFieldManager}`;

export type HubObject = KubeObject & { metadata: { name: string; namespace?: string } };

/** The Tenant spec of a stored tenant. `suspended` only when true, so an unsuspended tenant leaves it to the CRD default. */
export function tenantSpecOf(
  row: Pick<TenantRow, 'tier' | 'displayName' | 'isolation' | 'region' | 'suspended'>,
): TenantSpec {
  return {
    tier: row.tier,
    ...(row.displayName ? { displayName: row.displayName } : {}),
    ...(row.isolation ? { isolation: row.isolation } : {}),
    ...(row.region ? { region: row.region } : {}),
    ...(row.suspended ? { suspended: true } : {}),
  };
}

/** Set on a Tenant that arrived by migration, naming the cluster it left. */
export const migratedFromAnnotation = 'agentplane.io/migrated-from';

/**
 * The Tenant of a stored tenant. `migratedFrom` (after a completed migration) is stamped as an
 * annotation: the change makes the new member's operator reconcile the tenant once more, which
 * restores what the old member's clean-up removed from a Kafka or Vault both members share.
 */
export function desiredTenant(
  row: Parameters<typeof tenantSpecOf>[0] & { id: string },
  { migratedFrom }: { migratedFrom?: string } = {},
): HubObject & Tenant {
  return {
    apiVersion,
    kind: 'Tenant',
    metadata: {
      name: row.id,
      labels: { [hubLabels.placedBy]: hubFieldManager, [hubLabels.tenant]: row.id },
      ...(migratedFrom ? { annotations: { [migratedFromAnnotation]: migratedFrom } } : {}),
    },
    spec: tenantSpecOf(row),
  };
}

/**
 * The AgentInstance of a stored instance in `namespace` (the tenant's home on that member, which
 * its operator reports). `paused` overrides the stored value while a migration holds the agents.
 */
export function desiredAgentInstance(
  tenantId: string,
  row: AgentInstanceRow,
  namespace: string,
  overrides: { paused?: boolean } = {},
): HubObject & AgentInstance {
  const spec: AgentInstanceSpec = { ...specOf(tenantId, row), ...overrides };
  return {
    apiVersion,
    kind: 'AgentInstance',
    metadata: {
      name: row.name,
      namespace,
      labels: { [hubLabels.placedBy]: hubFieldManager, [hubLabels.tenant]: tenantId },
    },
    spec,
  };
}

/** A short digest of what the hub states about an object (its identity, labels and spec). */
export function desiredDigest(object: HubObject & { spec?: unknown }): string {
  const { name, namespace, labels, annotations } = object.metadata;
  const text = canonicalJson({ kind: object.kind, name, namespace, labels, annotations, spec: object.spec });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
