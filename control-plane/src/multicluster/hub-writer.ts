// The API's ResourceWriter when the control plane is a hub: a write goes to the member the tenant
// is placed on, at once, so the caller learns of a refusal (no home yet, a conflict, a member down)
// in the answer. The hub's reconcile then keeps it there.
import type { AgentInstanceSpec, Tenant, TenantSpec } from '@agentplane/crds';
import { apiVersion } from '@agentplane/crds';
import { isNotFound, resourcePath } from '@agentplane/operator/kube';
import { DomainError, dependencyUnavailable } from '../errors.ts';
import {
  eraseVaultData,
  type ResourceWriter,
  removalOf,
  type TenantRemoval,
} from '../kube/resource-writer.ts';
import { type HubObject, hubFieldManager, hubLabels } from './desired.ts';
import type { Hub } from './hub.ts';
import type { Member } from './member.ts';
import { findPlacement, withPlatformScope } from './store.ts';
import { removeObject, syncObject } from './sync.ts';
import { homeOf } from './tenant-sync.ts';

const labelsOf = (tenant: string) => ({ [hubLabels.placedBy]: hubFieldManager, [hubLabels.tenant]: tenant });

/** Where the tenant is now, and the clusters an unfinished migration also involves. */
async function clustersOf(hub: Hub, tenant: string) {
  const placement = await withPlatformScope(hub.root, (em) => findPlacement(em, tenant));
  if (!placement) throw new DomainError('conflict', `tenant "${tenant}" is not placed on a member cluster`);
  const migrating = placement.migration && placement.migration.step !== 'Completed';
  return { cluster: placement.cluster, peer: placement.migrationPeer, migrating };
}

function reachable(hub: Hub, name: string): Member {
  const member = hub.member(name);
  if (!member || member.health().state === 'Unreachable')
    throw dependencyUnavailable(`member cluster ${name}`, undefined);
  return member;
}

/**
 * Applies `object` on `member` under the hub's field manager; a conflict with another manager's
 * apply is a 409 naming it, an unreachable member a 503.
 */
export async function applyOnMember(member: Member, object: HubObject): Promise<void> {
  const outcome = await syncObject(member, object, { do: 'apply' }).catch((error: unknown) => {
    throw dependencyUnavailable(`member cluster ${member.name}`, error);
  });
  if (outcome.result === 'conflict')
    throw new DomainError('conflict', `member cluster ${member.name} refused: ${outcome.message}`, {
      details: { cluster: member.name, managers: outcome.by },
    });
}

/**
 * The members holding the tenant's Tenant: where it is placed (and a migration's peer) while the
 * placement exists, and every member whose cache still shows it (the placement goes with the
 * tenant's rows, so a repeated deletion finds it there).
 */
async function membersHolding(hub: Hub, tenant: string): Promise<string[]> {
  const placement = await withPlatformScope(hub.root, (em) => findPlacement(em, tenant));
  const placed = placement
    ? [placement.cluster, ...(placement.migrationPeer ? [placement.migrationPeer] : [])]
    : [];
  const cached = hub.members().flatMap((member) => (member.tenants.get(tenant) ? [member.name] : []));
  return [...new Set([...placed, ...cached])];
}

async function tenantOn(member: Member, name: string): Promise<Tenant | undefined> {
  try {
    const type = await member.client.discover(apiVersion, 'Tenant');
    return await member.client.request<Tenant>({ method: 'GET', path: resourcePath(type, { name }) });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw dependencyUnavailable(`member cluster ${member.name}`, error);
  }
}

/** Deletes (or, with `erase` false, only reads) the Tenant on one member. */
async function removeTenantOn(member: Member, name: string, erase: boolean): Promise<TenantRemoval> {
  const live = await tenantOn(member, name);
  if (!live || !erase) return removalOf(live, false);
  const type = await member.client.discover(apiVersion, 'Tenant');
  const path = resourcePath(type, { name });
  try {
    if (!live.spec.secrets?.deleteOnTenantDeletion)
      await member.client.request({
        method: 'PATCH',
        path,
        body: eraseVaultData,
        contentType: 'application/merge-patch+json',
      });
    if (!live.metadata.deletionTimestamp)
      await removeObject(member, { apiVersion, kind: 'Tenant', metadata: { name } });
  } catch (error) {
    if (!isNotFound(error)) throw dependencyUnavailable(`member cluster ${member.name}`, error);
  }
  return removalOf(await tenantOn(member, name), true);
}

/** One removal state over several members: present while any holds it. */
function combined(removals: Array<TenantRemoval & { cluster: string }>): TenantRemoval {
  const present = removals.filter((r) => r.present);
  return {
    deleteRequested: removals.some((r) => r.deleteRequested),
    present: present.length > 0,
    phase: present[0]?.phase ?? null,
    finalizers: [...new Set(present.flatMap((r) => r.finalizers))],
    remaining: present.flatMap((r) => r.remaining.map((item) => `${r.cluster}: ${item}`)),
    clusters: removals.map((r) => r.cluster),
  };
}

async function tenantRemovalOnMembers(hub: Hub, name: string, erase: boolean): Promise<TenantRemoval> {
  const removals: Array<TenantRemoval & { cluster: string }> = [];
  for (const cluster of await membersHolding(hub, name))
    removals.push({ ...(await removeTenantOn(reachable(hub, cluster), name, erase)), cluster });
  return combined(removals);
}

export function createHubWriter(hub: Hub): ResourceWriter {
  return {
    async applyTenant(name: string, spec: TenantSpec) {
      const { cluster } = await clustersOf(hub, name);
      const object = { apiVersion, kind: 'Tenant', metadata: { name, labels: labelsOf(name) }, spec };
      await applyOnMember(reachable(hub, cluster), object);
    },
    async applyAgentInstance(tenant: string, name: string, spec: AgentInstanceSpec) {
      const { cluster, migrating } = await clustersOf(hub, tenant);
      // A migration copies the agents as stored when it starts; a change midway would be lost on one side.
      if (migrating)
        throw new DomainError(
          'conflict',
          `tenant "${tenant}" is being migrated; change its agents when that is done`,
          {
            retryAfterSeconds: 10,
          },
        );
      const member = reachable(hub, cluster);
      const namespace = homeOf(member, tenant);
      if (!namespace)
        throw new DomainError(
          'conflict',
          `tenant "${tenant}" has no home on ${cluster} yet; retry when it is Ready`,
          {
            retryAfterSeconds: 10,
          },
        );
      const object = {
        apiVersion,
        kind: 'AgentInstance',
        metadata: { name, namespace, labels: labelsOf(tenant) },
        spec,
      };
      await applyOnMember(member, object);
    },
    async deleteAgentInstance(tenant: string, name: string) {
      const { cluster, peer } = await clustersOf(hub, tenant);
      for (const where of [cluster, ...(peer ? [peer] : [])]) {
        const member = reachable(hub, where);
        const namespace = homeOf(member, tenant);
        if (!namespace) continue;
        await removeObject(member, {
          apiVersion,
          kind: 'AgentInstance',
          metadata: { name, namespace },
        }).catch((error: unknown) => {
          throw dependencyUnavailable(`member cluster ${where}`, error);
        });
      }
    },
    // The caller deletes the tenant's rows first (uncommitted): the hub's reconcile, which reads
    // them FOR SHARE, then waits and finds nothing to re-create once the Tenant is gone.
    deleteTenant: (name: string) => tenantRemovalOnMembers(hub, name, true),
    tenantRemoval: (name: string) => tenantRemovalOnMembers(hub, name, false),
  };
}
