// The API's ResourceWriter when the control plane is a hub: a write goes to the member the tenant
// is placed on, at once, so the caller learns of a refusal (no home yet, a conflict, a member down)
// in the answer. The hub's reconcile then keeps it there.
import type { AgentInstanceSpec, TenantSpec } from '@agentplane/crds';
import { apiVersion } from '@agentplane/crds';
import { DomainError, dependencyUnavailable } from '../errors.ts';
import type { ResourceWriter } from '../kube/resource-writer.ts';
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
  };
}
