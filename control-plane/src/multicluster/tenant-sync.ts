// A tenant on one member: its Tenant first, then its AgentInstances in the home the member's
// operator reports (status.home.namespace), each kept as the hub states it (sync.ts); and what the
// member's caches say about it, for migrations and the API.
import type { AgentInstance, Tenant } from '@agentplane/crds';
import { isTrue } from '@agentplane/operator/kube';
import type { AgentInstance as AgentInstanceRow, Tenant as TenantRow } from '../db/entities.ts';
import { desiredAgentInstance, desiredTenant, hubLabels } from './desired.ts';
import type { Member } from './member.ts';
import { type ObjectOutcome, planObjectSync, removeObject, syncObject } from './sync.ts';

export interface TenantSyncResult {
  outcomes: ObjectOutcome[];
  /** What keeps the tenant from being complete on the member (no home yet, an object terminating). */
  waiting: string[];
}

/** The namespace the member's operator gave the tenant, from the cache. */
export const homeOf = (member: Member, tenantId: string) =>
  member.tenants.get(tenantId)?.status?.home?.namespace ?? member.tenants.get(tenantId)?.status?.namespace;

/**
 * Makes `member` hold the tenant and its agents as stored. Objects the database no longer has are
 * left alone: the API deletes them itself, and a stale read here must never delete what a request
 * is creating. Throws when the member's API fails.
 */
export async function syncTenantTo(
  member: Member,
  tenant: TenantRow,
  instances: readonly AgentInstanceRow[],
  overrides: { paused?: boolean; migratedFrom?: string } = {},
): Promise<TenantSyncResult> {
  const desired = desiredTenant(
    tenant,
    overrides.migratedFrom ? { migratedFrom: overrides.migratedFrom } : {},
  );
  const outcomes = [
    await syncObject(
      member,
      desired,
      planObjectSync(desired, member.tenants.get(tenant.id), lastOf(member, desired)),
    ),
  ];
  const home = homeOf(member, tenant.id);
  if (!home && instances.length > 0)
    return {
      outcomes,
      waiting: [`the operator on ${member.name} has not given tenant ${tenant.id} a home yet`],
    };
  for (const row of instances) {
    const agent = desiredAgentInstance(
      tenant.id,
      row,
      home ?? '',
      'paused' in overrides ? { paused: overrides.paused } : {},
    );
    const live = member.agents.get(`${home}/${row.name}`);
    outcomes.push(await syncObject(member, agent, planObjectSync(agent, live, lastOf(member, agent))));
  }
  const waiting = outcomes.flatMap((o) => (o.result === 'waiting' ? [o.message] : []));
  return { outcomes, waiting };
}

const lastOf = (member: Member, object: { kind?: string; metadata: { name: string; namespace?: string } }) =>
  member.applied.get(
    `${object.kind}:${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`,
  );

/** The hub-placed AgentInstances of a tenant on a member, from the cache. */
export const agentsOf = (member: Member, tenantId: string): AgentInstance[] =>
  member.agents.listByLabels({ [hubLabels.tenant]: tenantId });

/** Deletes the tenant's agents, then (once they are gone) its Tenant. Returns how many objects remain. */
export async function removeTenantFrom(member: Member, tenantId: string): Promise<number> {
  const agents = agentsOf(member, tenantId);
  for (const { apiVersion, kind, metadata } of agents.filter((a) => !a.metadata.deletionTimestamp))
    await removeObject(member, {
      apiVersion,
      kind,
      metadata: { name: metadata.name ?? '', namespace: metadata.namespace },
    });
  const tenant: Tenant | undefined = member.tenants.get(tenantId);
  // Agents first: the operator's Tenant finalizer would delete them too, but in its own order.
  if (tenant && agents.length === 0 && !tenant.metadata.deletionTimestamp)
    await removeObject(member, {
      apiVersion: tenant.apiVersion,
      kind: 'Tenant',
      metadata: { name: tenantId },
    });
  return agents.length + (tenant ? 1 : 0);
}

export interface SideObservation {
  reachable: boolean;
  tenantPresent: boolean;
  tenantReady: boolean;
  /** Agents stored for the tenant, as this member reports them. */
  agents: Array<{ name: string; present: boolean; current: boolean; ready: boolean; phase?: string }>;
}

/** What `member`'s caches say about the tenant and its stored agents. */
export function observeSide(
  member: Member,
  tenantId: string,
  agentNames: readonly string[],
): SideObservation {
  const tenant = member.tenants.get(tenantId);
  const home = homeOf(member, tenantId);
  return {
    reachable: member.health().state !== 'Unreachable' && member.tenants.hasSynced(),
    tenantPresent: tenant !== undefined,
    tenantReady: isTrue(tenant?.status?.conditions, 'Ready'),
    agents: agentNames.map((name) => {
      const agent = home ? member.agents.get(`${home}/${name}`) : undefined;
      return {
        name,
        present: agent !== undefined,
        current: agent !== undefined && agent.status?.observedGeneration === agent.metadata.generation,
        ready: isTrue(agent?.status?.conditions, 'Ready'),
        ...(agent?.status?.phase ? { phase: agent.status.phase } : {}),
      };
    }),
  };
}
